"""``synthio augment --dry-run``: the plan of a run before the run, from its config and a short timing probe of its models.

The plan counts exactly what a fresh run does where the count is known in advance (real clips,
clips generated in round 0, alignment losers and FD clips, LLM calls for the captions) and
estimates what depends on the filter (clips and LLM calls of the reflection rounds: a fixed
rejected fraction per round, stated in the plan). Seconds per stage come from timing the
configured models on this machine: one batch generated, scored and captioned, the LLM calls of
one clip and two alignment steps at the configured batch. Nothing is written: no output folder,
no LLM cache entry; the only file is the plan JSON when asked for.
"""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from synthio.pipeline import AUGMENT_OUTPUTS, AugmentConfig, augment_inputs

ASSUMED_REJECTED = 0.3
LOSERS_PER_CLIP = 2
WAV_BYTES_PER_SAMPLE = 4
MEASURE_BATCH = 32


def few_shot_rows(config: AugmentConfig) -> list[dict]:
    """The few-shot train rows (``file_name``, ``labels``, ``label`` = its labels joined by "and" as the captioner reads them, ``seconds``) from ``metadata.csv`` and the files' headers, nothing decoded."""
    from synthio.dataset import parse_where, read_metadata, row_labels, row_target, select
    from synthio.split import few_shot_split

    rows = select(read_metadata(config.data_dir), parse_where(config.where), config.data_dir)
    train = few_shot_split([row_target(row) for row in rows], config.n, config.seed).train
    return [
        {"file_name": rows[i]["file_name"], "labels": list(row_labels(rows[i])), "label": " and ".join(row_labels(rows[i])), "seconds": sf.info(str(config.data_dir / rows[i]["file_name"])).duration}
        for i in train
    ]


def clip_counts(config: AugmentConfig, real: int, rejected: float = ASSUMED_REJECTED) -> dict:
    """Clips generated and scored, and LLM calls, per stage (round 0 exact, reflection rounds estimated)."""
    round0 = real * config.factor
    rounds = config.reflection_rounds if config.filter else 0
    reflected = [round0 * rejected**r for r in range(1, rounds + 1)]
    llm_for_captions = {"mixcap": 2 * real, "llm": real}.get(config.captions, 0)
    llm_for_reflection = sum(reflected) if config.captions != "compose" else 0
    held, winners = config.align_validation_clips, real - config.align_validation_clips
    steps, every = config.align_train.steps, config.align_validate_every
    validations = 1 + steps // every + (steps % every > 0)
    return {
        "real_clips": real,
        "generate_round_0": round0,
        "reflection_rounds": rounds,
        "reflection_clips_estimate": [round(x, 1) for x in reflected],
        "reflection_clips_upper_bound": round0 * rounds,
        "assumed_rejected_fraction": rejected if rounds else None,
        "align_losers": winners * LOSERS_PER_CLIP if config.align != "none" else 0,
        "align_fd_clips": 2 * winners + held * validations if config.align != "none" else 0,
        "llm_calls_captions": llm_for_captions,
        "llm_calls_captions_detail": {"mixcap": f"{real} extraction + {real} writing (at least; an invalid answer is retried up to 3 times)", "llm": f"{real} writing"}.get(config.captions, "none"),
        "llm_calls_reflection_estimate": round(llm_for_reflection, 1),
        "clips_generated_estimate": round(round0 + sum(reflected), 1),
        "clips_generated_upper_bound": round0 * (1 + rounds),
    }


def _timed(function):
    started = time.perf_counter()
    result = function()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return result, time.perf_counter() - started


def probe(config: AugmentConfig, rows: list[dict]) -> dict:
    """Seconds of the configured models on this machine: loading, generating, scoring, captioning, LLM calls, alignment steps."""
    from synthio.audio import read_audio
    from synthio.backends import load_captioner, load_clap, load_t2a
    from synthio.clap.base import template_prompt

    seconds: dict[str, float] = {}
    t2a, seconds["load_t2a"] = _timed(lambda: load_t2a(config.t2a))
    seconds["sample_rate"], seconds["max_seconds"] = t2a.sample_rate, t2a.max_seconds
    clap, seconds["load_clap"] = _timed(lambda: load_clap(config.clap))
    captioner, seconds["load_captioner"] = _timed(lambda: load_captioner(config.captioner))
    sample = rows[:2]
    real, decode = _timed(lambda: [read_audio(config.data_dir / row["file_name"], t2a.sample_rate) for row in sample])
    seconds["decode_per_clip"] = decode / len(sample)
    durations = [min(clip_seconds_of(row, config), t2a.max_seconds) for row in rows]
    duration = statistics.median(durations)
    batch = min(config.batch_size, 8, max(1, len(rows) * config.factor))
    prompts = [template_prompt(rows[i % len(rows)]["label"]) for i in range(batch)]
    t2a.sample(prompts[:1], [duration], 1, config.guidance, [0])
    runs = [_timed(lambda: t2a.sample(prompts, [duration] * batch, config.sample_steps, config.guidance, list(range(batch)))) for _ in range(2)]
    waves = runs[0][0]
    seconds["generate_per_clip"] = min(elapsed for _, elapsed in runs) / batch
    seconds["probe_batch"], seconds["probe_clip_seconds"] = batch, duration
    clap.embed_audio(waves[:1], t2a.sample_rate)
    _, elapsed = _timed(lambda: clap.embed_audio(waves, t2a.sample_rate))
    seconds["score_per_clip"] = elapsed / batch
    _, elapsed = _timed(lambda: captioner.caption(real, t2a.sample_rate, [row["label"] for row in sample]))
    seconds["caption_per_clip"] = elapsed / len(sample)
    if needs_llm(config):
        seconds.update(probe_llm(config, rows[0]["label"]))
    if config.align != "none":
        seconds["align_step"] = probe_align(config, t2a, real, waves[: len(real)])
    if getattr(config, "verdict", False):
        seconds["verdict_step"] = probe_verdict(sorted({label for row in rows for label in row["labels"]}), [row["seconds"] for row in rows])
    return seconds


def probe_verdict(labels: list[str], durations: list[float], batch_size: int = 32) -> float:
    """Seconds of one training step of the verdict's classifier (the embedded CNN, batch 32 at 16 kHz, clips of the evaluation's length; the faster of steps 2 and 3)."""
    from synthio.train.classifiers import CNNClassifier

    torch.manual_seed(0)
    model = CNNClassifier(labels)
    seconds = float(min(10.0, max(0.5, np.ceil(np.quantile(durations, 0.95) / 0.5) * 0.5)))
    waves = torch.randn(batch_size, int(seconds * model.sample_rate)) * 0.1
    optimizer = torch.optim.AdamW(model.parameters(), lr=model.default_learning_rate)
    features = model.featurize(waves)
    model.fit_normalization(features)
    targets = torch.arange(batch_size) % len(labels)
    elapsed = math.inf
    for step in range(3):
        started = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(model.prepare(features)), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        elapsed = min(elapsed, time.perf_counter() - started) if step else math.inf
    return elapsed


def clip_seconds_of(row: dict, config: AugmentConfig) -> float:
    """A synthetic clip's duration for a real row: the real clip's, at most ``max_clip_seconds`` (as the pipeline)."""
    return min(row["seconds"], config.max_clip_seconds)


def needs_llm(config: AugmentConfig) -> bool:
    """Whether the run calls the LLM (the pipeline's rule)."""
    return config.captions in ("mixcap", "llm") or (config.captions == "template" and config.filter and config.reflection_rounds > 0)


def probe_llm(config: AugmentConfig, label: str) -> dict[str, float]:
    """Load the LLM without its reply cache (nothing written), warm it up (a local model loads at its first call) and time one extraction call and one writing call."""
    from synthio.backends import load_llm
    from synthio.clap.base import template_prompt
    from synthio.mixcap.captions import Pool, extract_pools, write_captions

    out = {}
    llm, out["load_llm"] = _timed(lambda: load_llm(config.llm.model_copy(update={"cache_dir": None})))
    _, first = _timed(lambda: extract_pools(llm, [f"{template_prompt(label)} in a room"], [label], seed=config.seed + 1))
    (pools, _), out["llm_extraction_call"] = _timed(lambda: extract_pools(llm, [template_prompt(label)], [label], seed=config.seed))
    _, out["llm_writing_call"] = _timed(lambda: write_captions(llm, label, pools.get(label, Pool()), config.factor, seed=config.seed))
    out["load_llm"] += max(0.0, first - out["llm_extraction_call"])
    return out


def probe_align(config: AugmentConfig, t2a, real: list[np.ndarray], generated: list[np.ndarray]) -> float:
    """Seconds of one DPO (or ERM) step at the configured batch, with the configured checkpointing and precision (the faster of steps 2 and 3)."""
    from synthio.align.dpo import make_optimizer, set_gradient_checkpointing, step_loss, uses_bf16

    train = config.align_train.model_copy(update={"objective": config.align})
    encoded = t2a.encode(real + generated, t2a.sample_rate)
    winners, losers = encoded.select(list(range(len(real)))), encoded.select(list(range(len(real), len(encoded))))
    params = t2a.add_lora(rank=train.lora_rank)
    optimizer = make_optimizer(train, params)
    device = params[0].device
    set_gradient_checkpointing(t2a.network, train.gradient_checkpointing)
    prompts = ["Sound of a probe"] * len(generated)
    winner_of = [i % len(real) for i in range(len(generated))]
    elapsed = math.inf
    for step in range(3):
        started = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=uses_bf16(train, device)):
            loss = step_loss(t2a, winners, losers, winner_of, prompts, train, step, 0)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = min(elapsed, time.perf_counter() - started) if step else math.inf
    set_gradient_checkpointing(t2a.network, False)
    return elapsed


def stage_seconds(config: AugmentConfig, counts: dict, timing: dict) -> dict[str, float]:
    """Estimated seconds per stage, in the pipeline's order, from the counts and the probe."""
    real, gen, score = counts["real_clips"], timing["generate_per_clip"], timing["score_per_clip"]
    stages = {
        "load models": timing["load_t2a"] + timing["load_clap"] + timing["load_captioner"] + timing.get("load_llm", 0.0),
        "split": real * timing["decode_per_clip"],
        "caption": real * timing["caption_per_clip"],
    }
    if config.align != "none":
        pairs = counts["align_losers"] if config.align == "dpo" else real
        step = timing["align_step"]
        measure = 2 * math.ceil(pairs / MEASURE_BATCH) * MEASURE_BATCH / config.align_train.batch_size * step * 0.5
        stages["align"] = (counts["align_losers"] + counts["align_fd_clips"]) * gen + 3 * real * score + config.align_train.steps * step + measure
    calls = counts["llm_calls_captions"]
    if config.captions == "mixcap":
        stages["captions"] = real * (timing["llm_extraction_call"] + timing["llm_writing_call"])
    elif config.captions == "llm":
        stages["captions"] = calls * timing["llm_writing_call"]
    else:
        stages["captions"] = 0.0
    stages["generate"] = counts["generate_round_0"] * gen
    stages["filter"] = (counts["generate_round_0"] + real) * score
    for r, clips in enumerate(counts["reflection_clips_estimate"], start=1):
        stages[f"reflect_{r}"] = clips * timing.get("llm_extraction_call", 0.0) if config.captions != "compose" else 0.0
        stages[f"generate_{r}"] = clips * gen
        stages[f"filter_{r}"] = clips * score
    stages["write"] = 0.01 * counts["clips_generated_estimate"]
    if config.report:
        stages["report"] = (counts["clips_generated_estimate"] + real) * score
    if "verdict_step" in timing:
        stages["verdict"] = 2 * config.verdict_seeds * config.verdict_steps * timing["verdict_step"]
    return {name: round(value, 1) for name, value in stages.items()}


def disk_bytes(config: AugmentConfig, rows: list[dict], counts: dict, sample_rate: int, max_seconds: float) -> dict[str, int]:
    """Bytes the run writes: float WAVs at the model's rate (work/clips, the kept copies in OUT/audio, alignment clips)."""
    mean_seconds = float(np.mean([min(clip_seconds_of(row, config), max_seconds) for row in rows]))
    per_clip = int(mean_seconds * sample_rate * WAV_BYTES_PER_SAMPLE + 44)
    generated = int(counts["clips_generated_estimate"] * per_clip)
    upper = counts["clips_generated_upper_bound"] * per_clip
    align = (counts["align_losers"] + counts["align_fd_clips"] * 2) * per_clip
    return {"generated_clips": generated, "kept_copies_at_most": generated, "align_clips": align, "total_estimate": 2 * generated + align, "total_upper_bound": 2 * upper + align}


def peak_memory_mib() -> dict[str, float]:
    """The probe's peak memory: the process's peak resident set (it holds every model and took an alignment step) and, on CUDA, the allocator's peak."""
    import resource

    out = {"process_peak_resident_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if torch.cuda.is_available():
        out["cuda_peak_allocated_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def plan_augment(config: AugmentConfig, force: bool = False, probe_models: bool = True) -> dict:
    """The plan of ``synthio augment`` with ``config``: stages, clip and LLM-call counts, estimated seconds, peak memory and disk. Writes nothing."""
    from synthio.outdir import OutputFolderError, check_output

    config.check()
    warnings = []
    try:
        check_output(config.out, "augment", config.output_settings(), inputs=augment_inputs(config), force=force, added_later=config.added_later(), outputs=AUGMENT_OUTPUTS)
    except OutputFolderError as error:
        warnings.append(f"the run would stop here: {error}")
    if (config.out / "work").is_dir():
        warnings.append(f"{config.out / 'work'} holds an earlier run's work: a resumed run skips what is done; this plan counts a fresh run")
    if getattr(config, "executor", "local") == "ray":
        warnings.append("executor ray: the seconds are this process's; generation and scoring run on the cluster's actors, faster by up to their number")
    rows = few_shot_rows(config)
    counts = clip_counts(config, len(rows))
    plan = {"out": str(config.out), "fresh_run": not (config.out / "work").is_dir(), "counts": counts, "warnings": warnings}
    if not probe_models:
        return plan
    started = time.perf_counter()
    timing = probe(config, rows)
    plan["probe"] = {key: round(value, 3) if isinstance(value, float) else value for key, value in timing.items()}
    plan["probe_seconds"] = round(time.perf_counter() - started, 1)
    plan["stage_seconds"] = stage_seconds(config, counts, timing)
    plan["total_seconds"] = round(sum(plan["stage_seconds"].values()), 1)
    plan["peak_memory"] = peak_memory_mib()
    plan["disk_bytes"] = disk_bytes(config, rows, counts, timing["sample_rate"], timing["max_seconds"])
    return plan


def format_seconds(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def print_plan(plan: dict) -> None:
    """The plan as a table of stages and a few lines of totals."""
    from rich.table import Table

    from synthio.progress import console

    counts = plan["counts"]
    console.print(f"plan for a fresh `synthio augment` into {plan['out']} (dry run: nothing written)")
    console.print(
        f"{counts['real_clips']} real clips; {counts['generate_round_0']} clips in round 0; reflection: {counts['reflection_rounds']} round(s), "
        f"about {sum(counts['reflection_clips_estimate']):.0f} clips (assumes {counts['assumed_rejected_fraction'] or 0:.0%} rejected per round; at most {counts['reflection_clips_upper_bound']}); "
        f"alignment: {counts['align_losers']} losers + {counts['align_fd_clips']} FD clips; "
        f"LLM calls: {counts['llm_calls_captions']} for captions ({counts['llm_calls_captions_detail']}) + about {counts['llm_calls_reflection_estimate']:.0f} for reflection",
        markup=False, highlight=False,
    )
    if "stage_seconds" in plan:
        table = Table(title="estimated seconds per stage (timing probe on this machine)")
        table.add_column("stage")
        table.add_column("seconds", justify="right")
        for stage, seconds in plan["stage_seconds"].items():
            table.add_row(stage, f"{seconds:.1f}")
        table.add_row("total", format_seconds(plan["total_seconds"]))
        console.print(table)
        memory, disk = plan["peak_memory"], plan["disk_bytes"]
        console.print(f"peak memory: {memory['process_peak_resident_mib']:.0f} MiB resident" + (f", {memory['cuda_peak_allocated_mib']:.0f} MiB on the GPU" if "cuda_peak_allocated_mib" in memory else ""), markup=False, highlight=False)
        console.print(f"disk: about {disk['total_estimate'] / 1e6:.1f} MB (at most {disk['total_upper_bound'] / 1e6:.1f} MB); the probe took {plan['probe_seconds']:.0f} s", markup=False, highlight=False)
    for warning in plan["warnings"]:
        console.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)


def write_plan_json(plan: dict, path: str | Path) -> Path:
    """The plan as JSON at ``path`` (the dry run's only file)."""
    import json

    from synthio.atomic import write_text_atomic

    write_text_atomic(Path(path), json.dumps(plan, indent=2))
    return Path(path)
