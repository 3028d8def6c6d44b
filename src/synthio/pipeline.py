"""The Synthio pipeline (``synthio augment``): split -> caption -> align -> captions -> generate -> filter -> self-reflect -> write.

Every stage is resumable. Captions and alignment write their result once (atomically) and are
skipped when it exists; generation and filtering go through the append-only event log
(``work/events.jsonl``, see ``synthio.manifest``), so a killed run loses at most the clips in
flight and never records a clip twice. Output: ``OUT/metadata.csv`` + ``OUT/audio/`` (the kept
clips, an audiofolder), ``OUT/manifest.jsonl`` (every clip ever generated, one row each) and
``OUT/run.json`` (per-stage seconds, counts per round, the threshold and how it was chosen).

Multi-label data (a ``labels`` column): captions name 2-4 labels (``synthio.mixcap.multilabel``),
each generated clip carries the labels its captions name, the filter keeps a clip when its weakest
label passes (``synthio.filter``), and ``OUT/metadata.csv`` has a ``labels`` column.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from synthio.align.dpo import AlignTrainConfig
from synthio.atomic import cached_json, remove_temporaries, write_atomic, write_json_atomic, write_text_atomic
from synthio.audio import fit_duration, read_audio, resample, write_audio
from synthio.backends import PipelineBackends, load_captioner, load_clap, load_llm, load_t2a, preflight_llm
from synthio.clap.base import template_prompt
from synthio.config import ConfigError, Guidance
from synthio.dataset import LABEL_SEPARATOR, LABELS_COLUMN, Clip, is_multi_label_clips
from synthio.executor import Executor, LocalExecutor, ModelRecipe, import_ray, match_batch, open_executor, sample_batch
from synthio.filter import FilterRule, auto_threshold, label_match, quantiles, real_score_report
from synthio.manifest import EventLog
from synthio.outdir import claim_output
from synthio.progress import console, progress_bar, say
from synthio.split import FewShotSelection

SEED_STRIDE = 1_000_003
THRESHOLD_RANGE = {"score": (0.0, 1.0), "margin": (-2.0, 2.0)}
MAX_FACTOR = 64
EXECUTOR_SETTINGS = ("executor", "ray_address", "ray_actors", "ray_cpus_per_actor", "ray_gpus_per_actor")
INIT_POOL_FILE = "init_pool.json"
AUGMENT_OUTPUTS = ("metadata.csv", "manifest.jsonl", "run.json", "quality.json", "audio", "work", "report", ".report.tmp")


def clip_seed(seed: int, index: int, slot: int, round_: int) -> int:
    """The sampling seed of generated clip ``slot`` of real clip ``index`` in reflection round ``round_`` (distinct for all)."""
    return ((seed * 16 + round_) * 1_000_000 + index) * MAX_FACTOR + slot


class AugmentConfig(PipelineBackends, FewShotSelection):
    """Settings of ``synthio augment`` (YAML keys = these field names; ``--print-config`` shows them all)."""

    factor: int = Field(4, ge=1, le=MAX_FACTOR, description="synthetic clips generated per real clip (round 0)")
    captions: Literal["mixcap", "compose", "llm", "template"] = Field(
        "mixcap", description="mixcap (LLM prompts 1+2), compose (MixCap by rules from the real captions' phrases, no LLM; reflection by rules too), llm (prompt 2 from the label alone) or template ('Sound of a {label}')"
    )
    align: Literal["dpo", "erm", "none"] = Field("dpo", description="align the T2A first with Diffusion-DPO, with plain ERM, or not at all")
    filter: bool = Field(True, description="keep only clips whose CLAP score reaches the threshold")
    filter_rule: FilterRule = Field("score", description="score: the release's CLAP score >= threshold; margin: cosine to the own label minus the best other label >= threshold (0 = ranks first; works with a saturating CLAP)")
    threshold: float | Literal["auto"] = Field("auto", description="score rule: p in [0, 1]; margin rule: m in [-2, 2]; auto: a percentile of the real few-shot clips' own values")
    threshold_percentile: float = Field(10.0, ge=0.0, le=100.0, description="auto threshold: this percentile of the real clips' own-label scores (or margins)")
    reflection_rounds: int = Field(2, ge=0, le=15, description="self-reflection rounds (rewrite rejected captions, regenerate, refilter)")
    sample_steps: int = Field(16, ge=1, description="sampler steps per clip")
    init_strength: float = Field(1.0, gt=0, le=1, description="variations: start each clip from its real clip noised to this strength and run that share of the steps (1 = from pure noise; small = close to the real clip)")
    init_pool: Path | None = Field(
        None,
        description="variations (init_strength < 1) start from clips of this audiofolder (e.g. the pretraining corpus), not the real clips: a label's from its pool clips nearest (CLAP) to 'Sound of a {label}', as evaluate's retrieval",
    )
    guidance: Guidance = 5.0
    batch_size: int = Field(16, ge=1, description="clips generated per model call")
    executor: Literal["local", "ray"] = Field("local", description="where generation and CLAP scoring run: local (this process) or ray (model actors on a Ray cluster; pip install 'synthio[ray]'; docs/pipeline.md)")
    ray_address: str | None = Field(None, description="executor ray: the cluster to join, auto (the one `ray start` runs here) or HOST:PORT; unset: $RAY_ADDRESS, else a cluster running here, else a new local Ray instance")
    ray_actors: int | None = Field(None, ge=1, description="executor ray: actors per model (default: one per GPU, else one per ray_cpus_per_actor CPUs of the cluster)")
    ray_cpus_per_actor: float = Field(1.0, gt=0, description="executor ray: CPUs each actor reserves (its torch threads, at least 1)")
    ray_gpus_per_actor: float | None = Field(None, ge=0, description="executor ray: GPUs each actor reserves (default 1 if the cluster has GPUs and the model's device is not cpu, else 0; 0.5 with ray_actors: 1: a T2A and a CLAP actor share a GPU)")
    align_train: AlignTrainConfig = Field(default_factory=AlignTrainConfig)
    align_validation_clips: int = Field(0, ge=0, description="alignment: few-shot clips held out (stratified, seeded; never winners) for a validation FD every align_validate_every steps; the lowest FD's adapter is kept (never a test part); 0: off")
    align_validate_every: int = Field(50, ge=1, description="alignment: optimiser steps between validation FDs (also at step 0 and the last step)")

    @field_validator("init_pool", mode="before")
    @classmethod
    def _pool_named(cls, value):
        if isinstance(value, str) and not value.strip():
            raise ValueError("init_pool names no folder; give the pool's folder (an audiofolder, e.g. the pretraining corpus), or drop init_pool")
        return value

    @model_validator(mode="after")
    def _threshold_in_range(self) -> AugmentConfig:
        low, high = THRESHOLD_RANGE[self.filter_rule]
        if self.threshold != "auto" and not low <= self.threshold <= high:
            raise ValueError(f"threshold {self.threshold} is outside [{low:g}, {high:g}], the range of the {self.filter_rule} rule")
        return self

    @model_validator(mode="after")
    def _pool_only_for_variations(self) -> AugmentConfig:
        if self.init_pool is not None and self.init_strength == 1:
            raise ValueError("init_pool is read only by variations: set init_strength below 1 (e.g. 0.5), or drop init_pool")
        return self

    report: bool = Field(True, description="end by writing the listening report OUT/report/index.html and OUT/quality.json (`synthio report`)")
    verdict: bool = Field(True, description="end by training the CNN with and without the kept clips and testing both on held-out real clips of the pool: did they help? (costs 2 x verdict_seeds trainings)")
    verdict_seeds: int = Field(3, ge=1, le=20, description="seeds of the verdict (one pair of trainings each)")
    verdict_steps: int = Field(300, ge=1, description="optimiser steps of each verdict training (as synthio evaluate)")
    verdict_group: str | None = Field(None, description="metadata column naming each clip's source recording (e.g. freesound_id): the verdict's held-out clips never share one with a few-shot clip")
    max_clip_seconds: float = Field(30.0, gt=0, description="synthetic clips are at most this long (a longer real clip's are cut to it, with a warning)")

    def output_settings(self) -> dict:
        """What shapes the output; batch size, LLM cache and timeouts do not."""
        from synthio.dataset import METADATA
        from synthio.outdir import file_digest

        verdict = {"verdict": True, "verdict_seeds": True, "verdict_steps": True, "verdict_group": True}
        settings = super().output_settings({"batch_size": True, "report": True, **dict.fromkeys(EXECUTOR_SETTINGS, True), **verdict, "llm": {"cache_dir", "timeout_seconds", "max_retries"}})
        return settings | ({"init_pool_digest": file_digest(self.init_pool / METADATA)} if self.init_pool is not None else {})

    def check(self) -> None:
        """The selection (``FewShotSelection.check``) and, when set, the init pool's ``metadata.csv``, before any model loads."""
        super().check()
        if self.init_pool is not None:
            from synthio.dataset import DatasetError, read_metadata

            try:
                read_metadata(self.init_pool)
            except DatasetError as error:
                raise ConfigError(f"init_pool {self.init_pool}: {error}") from None

    def added_later(self) -> dict:
        """Settings an older version's folder may lack while they are set to what came before (``synthio.outdir.as_recorded``)."""
        train = {**self.align_train.added_later(self.t2a.device), **({"gradient_checkpointing": True} if not self.align_train.gradient_checkpointing else {})}
        validation = {"align_validation_clips": True, "align_validate_every": True} if self.align_validation_clips == 0 else {}
        return {**super().added_later(), "align_train": train, **({"init_strength": True} if self.init_strength == 1 else {}), **({"init_pool": True} if self.init_pool is None else {}), **validation}


class Stages:
    """Times each stage and remembers the totals across resumed invocations (``work/timings.json``)."""

    def __init__(self, path: Path):
        self.path = path
        self.seconds: dict[str, float] = json.loads(path.read_text()) if path.exists() else {}

    def run(self, name: str, function):
        started = time.time()
        result = function()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.time() - started, 1)
        write_text_atomic(self.path, json.dumps(self.seconds, indent=2))
        return result


def augment_dataset(config: AugmentConfig, force: bool = False) -> dict:
    """Run (or resume) the pipeline into ``config.out`` (claimed and locked, see ``synthio.outdir``) and return ``run.json``'s content."""
    config.check()
    if config.executor == "ray":
        import_ray()  # before the output folder is claimed, so a missing Ray leaves no folder behind
    with claim_output(config.out, "augment", config.output_settings(), inputs=augment_inputs(config), force=force, added_later=config.added_later(), outputs=AUGMENT_OUTPUTS), open_executor(
        config.executor, lambda: model_recipes(config), config.ray_address, config.ray_actors, config.ray_cpus_per_actor, config.ray_gpus_per_actor
    ) as executor:
        return run_pipeline(config, executor)


def augment_inputs(config: AugmentConfig) -> tuple[Path, ...]:
    """The folders a run reads (its output may not be one of them): the data and the init pool."""
    return (config.data_dir, *([config.init_pool] if config.init_pool else []))


def model_recipes(config: AugmentConfig) -> dict[str, ModelRecipe]:
    """How a Ray actor builds this run's T2A (aligned: the adapter file's bytes travel with the recipe) and CLAP, from the configured local paths."""
    adapter = adapter_file(config.out / "work", config.align)
    adapter_bytes = adapter.read_bytes() if config.align != "none" else None
    return {
        "t2a": ModelRecipe(functools.partial(aligned_t2a, load_t2a, config.t2a, adapter_bytes, config.align_train.lora_rank), config.t2a.device),
        "clap": ModelRecipe(functools.partial(load_clap, config.clap), config.clap.device),
    }


def aligned_t2a(load, spec, adapter: bytes | None, lora_rank: int):
    """``load(spec)``, with the LoRA adapter ``adapter`` (a safetensors file's bytes) loaded when given."""
    import tempfile

    from synthio.t2a.lora import load_lora

    t2a = load(spec)
    if adapter is not None:
        t2a.add_lora(rank=lora_rank)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "adapter.safetensors"
            path.write_bytes(adapter)
            load_lora(t2a.network, path)
    return t2a


def run_pipeline(config: AugmentConfig, executor: Executor | None = None) -> dict:
    """The stages in order, each skipped when its result exists."""
    out, work = config.out, config.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    stages = Stages(work / "timings.json")
    t2a = load_t2a(config.t2a)
    clap = load_clap(config.clap)
    pool, few_shot, starts = stages.run("split", lambda: usable_split(config, t2a.sample_rate, clap))
    write_text_atomic(work / "config.json", config.model_dump_json(indent=2))  # after the data proved usable: a refused run leaves no file to block its corrected rerun
    if starts is not None and not (work / INIT_POOL_FILE).is_file():
        write_json_atomic(work / INIT_POOL_FILE, starts, indent=1)
    clips = [pool[i] for i in few_shot]
    labels = [c.label for c in clips]
    multi_label = is_multi_label_clips(clips)
    needs_llm = config.captions in ("mixcap", "llm") or (config.captions == "template" and config.filter and config.reflection_rounds > 0)
    llm = load_llm(config.llm) if needs_llm else None
    if llm is not None and not (work / f"captions_{config.captions}.json").is_file():
        preflight_llm(config.llm)

    def caption() -> list[str]:
        return load_captioner(config.captioner).caption([c.samples for c in clips], t2a.sample_rate, [" and ".join(c.all_labels) for c in clips] if multi_label else labels)

    real_captions = stages.run("caption", lambda: cached_json(work / "captions.json", caption))

    if config.align != "none":
        adapter = stages.run("align", lambda: align_stage(config, work, t2a, clap))
        if not any("lora_" in name for name, _ in t2a.network.named_parameters()):
            from synthio.t2a.lora import load_lora

            t2a.add_lora(rank=config.align_train.lora_rank)
            load_lora(t2a.network, adapter)

    captions = stages.run("captions", lambda: cached_json(work / f"captions_{config.captions}.json", lambda: write_all_captions(config, llm, real_captions, labels, [c.all_labels for c in clips] if multi_label else None)))

    label_order = sorted({label for c in clips for label in c.all_labels})
    own = [[label_order.index(label) for label in c.labels] for c in clips] if multi_label else [label_order.index(label) for label in labels]
    real = label_match(clap, [c.samples for c in clips], t2a.sample_rate, label_order)
    report = real_score_report(real.scores(), own)
    real_margins = real.values(own, "margin") if len(label_order) > 1 else None
    real_margins = real_margins[~real_margins.isnan()] if real_margins is not None else None  # a clip carrying every label has none
    rules: tuple[FilterRule, ...] = ("score", "margin") if has_margins(clips) else ("score",)
    thresholds = {rule: auto_threshold(real.values(own, rule).numpy(), config.threshold_percentile) for rule in rules}
    if config.threshold != "auto":
        thresholds[config.filter_rule] = float(config.threshold)
    if "margin" in rules:
        report["own_margin"] = quantiles(real_margins)
    threshold = thresholds[config.filter_rule] if config.filter else -math.inf

    log = EventLog(work / "events.jsonl")
    per_clip = {"labels": captions["labels"]} if multi_label else {}  # multi-label: the labels each real clip's captions name
    jobs = [dict(id=f"{i:04d}-{j}-r0", index=i, slot=j, caption=captions["captions"][i][j], round=0, parent_id=None, seed=clip_seed(config.seed, i, j, 0), **{k: v[i] for k, v in per_clip.items()})
            for i in range(len(clips)) for j in range(config.factor)]
    stages.run("generate", lambda: generate(t2a, clips, jobs, log, work, config, executor, starts))
    stages.run("filter", lambda: score(clap, log, work, threshold, t2a.sample_rate, label_order, config, executor, thresholds["score"]))
    for r in range(1, config.reflection_rounds + 1 if config.filter else 1):
        state = log.load()
        rejected = [row for row in state.values() if row["round"] == r - 1 and row.get("kept") is False]
        if not rejected:
            break
        accepted = {label: [row["caption"] for row in state.values() if row["label"] == label and row.get("kept")] for label in {row["label"] for row in state.values()}}

        def revise() -> list[dict]:
            from synthio.mixcap import multilabel
            from synthio.mixcap.captions import revise_caption
            from synthio.mixcap.compose import phrase_pools, recompose

            pools = {}
            if config.captions == "compose":  # built once per round
                pools = multilabel.phrase_pools(real_captions, [c.all_labels for c in clips]) if multi_label else phrase_pools(real_captions, labels)
            jobs = []
            for row in rejected:
                seed = clip_seed(config.seed, row["index"], row["slot"], r)
                if multi_label:
                    caption, failed = revise_labels(config, llm, pools, row, accepted[row["label"]], seed)
                elif config.captions == "compose":
                    caption, failed = recompose(row["label"], pools[row["label"]], accepted[row["label"]], seed), False
                else:
                    caption, _, failed = revise_caption(llm, row["caption"], row["label"], accepted[row["label"]], seed=seed)
                jobs.append(dict(id=f"{row['index']:04d}-{row['slot']}-r{r}", index=row["index"], slot=row["slot"], round=r, parent_id=row["id"], seed=seed, caption=caption, unrevised=failed, **({"labels": row["labels"]} if multi_label else {})))
            return jobs

        round_jobs = stages.run(f"reflect_{r}", lambda: cached_json(work / f"reflection_{r}.json", revise))
        stages.run(f"generate_{r}", lambda: generate(t2a, clips, round_jobs, log, work, config, executor, starts))
        stages.run(f"filter_{r}", lambda: score(clap, log, work, threshold, t2a.sample_rate, label_order, config, executor, thresholds["score"]))

    state = log.load()
    stages.run("write", lambda: write_output(out, work, clips, state))
    rounds = sorted({row["round"] for row in state.values()})
    summary = {
        "clips_real": len(clips),
        "threshold": threshold if config.filter else None,
        "threshold_rule": "no filter" if not config.filter else f"{config.filter_rule} rule, " + (f"auto: {config.threshold_percentile:g}th percentile of the real clips' own values" if config.threshold == "auto" else "fixed"),
        "filter": {"rule": config.filter_rule if config.filter else None, "thresholds": thresholds, "rejected_in_round_0_by_rule": rejected_by_rule([row for row in state.values() if row["round"] == 0], thresholds)},
        "real_scores": report,
        "rounds": {str(r): round_counts([row for row in state.values() if row["round"] == r]) for r in rounds},
        "kept": sum(bool(row.get("kept")) for row in state.values()),
        "generated": len(state),
        "captions_repaired": captions.get("repaired", 0),
        "captions_refused": captions.get("refused", 0),
        "llm_failures": {"extraction": captions.get("extraction_failed", 0), "writing": captions.get("writing_failed", 0), "reflection": sum(bool(row.get("unrevised")) for row in state.values())},
        "verdict": stages.run("verdict", lambda: verdict_stage(config, work, pool, few_shot, state)) if config.verdict else None,
        "stage_seconds": stages.seconds,
        "models": {"t2a": t2a.name, "clap": clap.name, "llm": llm.name if llm else None},
        "config": json.loads(config.model_dump_json()),
    }
    write_text_atomic(out / "run.json", json.dumps(summary, indent=2))
    if config.report:
        from synthio.listening import write_report

        stages.run("report", lambda: write_report(out, clap=clap))
        console.print(f"listening report: {out / 'report' / 'index.html'}")
    return summary


def usable_split(config: AugmentConfig, sample_rate: int, clap) -> tuple[list[Clip], list[int], dict[str, str] | None]:
    """The decoded pool, its few-shot indices and, with ``init_pool``, each slot's pool clip (``pool_starts``, or an earlier run's ``work/init_pool.json``).

    Everything the data can refuse is checked here, before the run writes its first file, so the
    corrected command can still take the folder.
    """
    pool, few_shot = config.load_pool(sample_rate)
    clips = [pool[i] for i in few_shot]
    if config.align != "none":
        from synthio.align.run import hold_out

        hold_out(clips, config.align_validation_clips, config.seed)
    if config.filter_rule == "margin" and not has_margins(clips):
        raise ConfigError("filter_rule: margin needs at least two labels in the few-shot split and a few-shot clip that lacks one of them; use filter_rule: score")
    if config.init_pool is None:
        return pool, few_shot, None
    if is_multi_label_clips(clips):
        raise ConfigError("init_pool takes single-label data (a pool clip is retrieved for one label); drop init_pool for this multi-label folder")
    refuse_held_out_starts(config, clips)
    cached = config.out / "work" / INIT_POOL_FILE
    starts = json.loads(cached.read_text()) if cached.is_file() else pool_starts(config.init_pool, config.factor, [c.label for c in clips], clap, sample_rate)
    return pool, few_shot, starts


def has_margins(clips: list[Clip]) -> bool:
    """Whether the margin rule can judge these clips: at least two labels, and a clip that lacks one (a clip carrying every label has no margin)."""
    labels = {label for c in clips for label in c.all_labels}
    return len(labels) > 1 and any(len(set(c.all_labels)) < len(labels) for c in clips)


def refuse_held_out_starts(config: AugmentConfig, clips: list[Clip]) -> None:
    """Raise when ``init_pool`` holds clips of ``data_dir`` other than the few-shot ones: a variation of a held-out, validation or test clip carries it into training."""
    from synthio.dataset import read_rows

    few_shot = {(config.data_dir / c.file_name).resolve() for c in clips}
    dataset = {(config.data_dir / row["file_name"]).resolve() for row in read_rows(config.data_dir)[0]} - few_shot
    held = sorted(row["file_name"] for row in read_rows(config.init_pool)[0] if (config.init_pool / row["file_name"]).resolve() in dataset)  # type: ignore[operator]
    if held:
        raise ConfigError(
            f"init_pool {config.init_pool}: {len(held)} of its file(s) are clips of {config.data_dir} outside the few-shot split (e.g. {held[0]}); "
            "a variation of one would carry a held-out or test clip into training: use a pool outside the dataset (e.g. the pretraining corpus)"
        )


def verdict_stage(config: AugmentConfig, work: Path, pool: list[Clip], few_shot: list[int], state: dict[str, dict]) -> dict:
    """Train with and without the kept clips and test on held-out real clips (``synthio.verdict``); cached per seed count and step budget."""
    from synthio.verdict import CLASSIFIER_SAMPLE_RATE, announce, synthetic_clips_of, synthetic_verdict

    groups = None
    if config.verdict_group is not None:
        if any(config.verdict_group not in c.meta for c in pool):
            raise ConfigError(f"verdict_group {config.verdict_group}: no such column in {config.data_dir}/metadata.csv")
        groups = [c.meta[config.verdict_group] for c in pool]
    seeds = list(range(config.verdict_seeds))
    verdict = cached_json(
        work / f"verdict_{config.verdict_seeds}x{config.verdict_steps}_{config.verdict_group or 'clips'}.json",
        lambda: synthetic_verdict(pool, few_shot, synthetic_clips_of(config.out, state, CLASSIFIER_SAMPLE_RATE), seeds, steps=config.verdict_steps, groups=groups),
    )
    announce(verdict)
    return verdict


def round_counts(rows: list[dict]) -> dict[str, int]:
    """Generated, kept and rejected clips among one round's rows."""
    return {"generated": len(rows), "kept": sum(bool(row.get("kept")) for row in rows), "rejected": sum(row.get("kept") is False for row in rows)}


def adapter_file(work: Path, align: str) -> Path:
    """The aligned LoRA adapter that the ``align`` stage writes under the work folder ``work``."""
    return work / f"align_{align}" / "adapter.safetensors"


def align_stage(config: AugmentConfig, work: Path, t2a, clap) -> str:
    """Align ``t2a`` in place (LoRA) unless ``work/align_*/align.json`` exists; return the adapter file."""
    from synthio.align.run import AlignConfig, align_dataset

    align = AlignConfig(
        data_dir=config.data_dir, out=adapter_file(work, config.align).parent, where=config.where, n=config.n, seed=config.seed, sample_steps=config.sample_steps,
        guidance=config.guidance, skip_bad=config.skip_bad, train=config.align_train.model_copy(update={"objective": config.align, "seed": config.seed}), t2a=config.t2a, clap=config.clap,
        validation_clips=config.align_validation_clips, validate_every=config.align_validate_every,
    )
    align_dataset(align, t2a=t2a, clap=clap)
    return str(adapter_file(work, config.align))


def revise_labels(config: AugmentConfig, llm, pools: dict, row: dict, accepted: list[str], seed: int) -> tuple[str, bool]:
    """Self-reflection for a rejected multi-label clip: a new caption naming the same labels (compose: from the round's phrase ``pools``); whether the LLM call failed."""
    from synthio.mixcap import multilabel

    if config.captions == "compose":
        return multilabel.recompose_labels(row["labels"], pools, accepted, seed), False
    caption, _, failed = multilabel.revise_label_caption(llm, row["caption"], row["labels"], accepted, seed)
    return caption, failed


def write_all_captions(config: AugmentConfig, llm, real_captions: list[str], labels: list[str], label_sets: list[tuple[str, ...]] | None = None) -> dict:
    """``{"captions": [[factor captions] per real clip], "repaired": count, ...failure counts}`` for the configured caption mode (``label_sets``: multi-label, see ``synthio.mixcap.multilabel``)."""
    if label_sets is not None:
        from synthio.mixcap.multilabel import write_all_captions as write_multi_label

        return write_multi_label(config.captions, llm, real_captions, label_sets, config.factor, config.seed, SEED_STRIDE)
    if config.captions == "template":
        return {"captions": [[template_prompt(label)] * config.factor for label in labels], "repaired": 0}
    if config.captions == "compose":
        from synthio.mixcap.compose import compose_captions, phrase_pools

        pools = phrase_pools(real_captions, labels)
        return {"captions": [compose_captions(label, pools[label], config.factor, seed=config.seed * SEED_STRIDE + i) for i, label in enumerate(labels)], "repaired": 0, "pools": {k: vars(v) for k, v in pools.items()}}
    from synthio.mixcap.captions import Pool, extract_pools, write_captions

    pools, extraction_failed = extract_pools(llm, real_captions, labels, seed=config.seed) if config.captions == "mixcap" else ({label: Pool() for label in labels}, 0)
    written, repaired, writing_failed, invalid = [], 0, 0, 0
    with progress_bar() as progress:
        task = progress.add_task(f"captions ({config.captions})", total=len(labels), status="")
        for i, label in enumerate(labels):
            captions, fixed, failed, refused = write_captions(llm, label, pools[label], config.factor, seed=config.seed * SEED_STRIDE + i)
            written.append(captions)
            repaired += fixed
            writing_failed += failed
            invalid += refused
            progress.update(task, advance=1)
    return {
        "captions": written, "repaired": repaired, "extraction_failed": extraction_failed, "writing_failed": writing_failed, "refused": invalid,
        "pools": {label: {"events": p.events, "scenes": p.scenes} for label, p in pools.items()},
    }


def clip_seconds(clip: Clip, config: AugmentConfig) -> float:
    """A synthetic clip's duration: its real clip's, at most ``max_clip_seconds``."""
    return min(clip.seconds, config.max_clip_seconds)


def pool_starts(pool_folder: Path, factor: int, labels: list[str], clap, sample_rate: int) -> dict[str, str]:
    """Where each slot's variations start with ``init_pool``: ``"{index}-{slot}"`` -> a pool file; real clip ``index``'s slots take its label's next nearest pool clips (``synthio.retrieval``)."""
    from synthio.retrieval import embed_pool, nearest_to_labels

    pool, audio = embed_pool(pool_folder, clap, sample_rate, "init_pool")
    counts = {label: factor * labels.count(label) for label in set(labels)}
    if len(pool) < max(counts.values()):
        raise ConfigError(f"init_pool {pool_folder}: {len(pool)} usable clip(s), fewer than the {max(counts.values())} one label's variations start from (factor x its real clips); use a larger pool or a smaller factor")
    queue: dict[str, list[str]] = {label: [] for label in counts}
    for i, label in nearest_to_labels(clap, audio, counts):
        queue[label].append(pool[i].file_name)
    return {slot_key({"index": index, "slot": slot}): queue[label].pop(0) for index, label in enumerate(labels) for slot in range(factor)}


def slot_key(job: dict) -> str:
    """``"{index}-{slot}"``: a job's real clip and slot, shared by its reflection rounds."""
    return f"{job['index']}-{job['slot']}"


def init_clip(samples: np.ndarray, clip_sample_rate: int, seconds: float, sample_rate: int) -> np.ndarray:
    """A variation's starting point: ``samples`` at the T2A's ``sample_rate``, exactly ``seconds`` long (padded or cut)."""
    return fit_duration(resample(samples, clip_sample_rate, sample_rate), max(1, round(seconds * sample_rate)), "pad")


def generate(t2a, clips: list[Clip], jobs: list[dict], log: EventLog, work: Path, config: AugmentConfig, executor: Executor | None = None, starts: dict[str, str] | None = None) -> None:
    """Generate every job without a ``generated`` event (duration = its real clip's; with ``init_strength`` < 1 a variation of that clip, or of its slot's pool clip in ``starts``), recording each after its file is complete.

    Hidden temp files left in ``work/clips`` by a killed run are removed first (the output lock
    guarantees no other run is writing them).
    """
    remove_temporaries(work / "clips")
    done = log.load()
    todo = sorted((job for job in jobs if job["id"] not in done), key=lambda job: clips[job["index"]].seconds)
    if not todo:
        return
    long = sorted({job["index"] for job in todo if clips[job["index"]].seconds > config.max_clip_seconds})
    if long:
        longest = max(clips[i].seconds for i in long)
        say("warning:", f"{len(long)} real clip(s) exceed max_clip_seconds = {config.max_clip_seconds:g} s (longest {longest:.1f} s): their synthetic clips are cut to it (raise max_clip_seconds to change that)", style="yellow")
    with progress_bar() as progress:
        task = progress.add_task("generate", total=len(todo), status="")
        chunks = [todo[start : start + config.batch_size] for start in range(0, len(todo), config.batch_size)]
        plain = [([job["caption"] for job in chunk], [clip_seconds(clips[job["index"]], config) for job in chunk], config.sample_steps, config.guidance, [job["seed"] for job in chunk]) for chunk in chunks]

        def start(job: dict) -> np.ndarray:
            clip = clips[job["index"]]
            samples, rate = (clip.samples, clip.sample_rate) if starts is None else (read_audio(config.init_pool / starts[slot_key(job)], t2a.sample_rate), t2a.sample_rate)  # type: ignore[operator]
            return init_clip(samples, rate, clip_seconds(clip, config), t2a.sample_rate)

        batches: Iterable[tuple] = plain if config.init_strength == 1 else ((*batch, [start(job) for job in chunk], config.init_strength) for batch, chunk in zip(plain, chunks))
        for k, waves in (executor or LocalExecutor()).map("t2a", t2a, sample_batch, batches):
            chunk = chunks[k]
            rows = []
            for job, wave in zip(chunk, waves):
                name = f"clips/{job['id']}.wav"
                write_audio(work / name, wave, t2a.sample_rate)
                clip = clips[job["index"]]
                label = LABEL_SEPARATOR.join(job["labels"]) if "labels" in job else clip.label
                init_file = {"init_file": starts[slot_key(job)]} if starts is not None else {}
                rows.append({**job, "event": "generated", "file": name, "label": label, "parent_file": clip.file_name, "seconds": clip_seconds(clip, config), "init_strength": config.init_strength, **init_file})
            log.append(rows)
            progress.update(task, advance=len(chunk))


def score(
    clap, log: EventLog, work: Path, threshold: float, sample_rate: int, label_order: list[str], config: AugmentConfig, executor: Executor | None = None, score_threshold: float = -math.inf
) -> None:
    """Score every generated clip not yet scored against each label's "Sound of a {label}": its own-label CLAP score and margin; kept by the configured rule.

    A multi-label clip carrying every label has no margin (None): the margin rule judges it by the score rule at ``score_threshold``.
    """
    todo = [row for row in log.load().values() if "clap_score" not in row]
    chunks = [todo[start : start + 64] for start in range(0, len(todo), 64)]
    batches = (([read_audio(work / row["file"], sample_rate) for row in chunk], sample_rate, label_order) for chunk in chunks)
    for k, match in (executor or LocalExecutor()).map("clap", clap, match_batch, batches):
        chunk = chunks[k]
        own = [[label_order.index(label) for label in row["labels"]] if "labels" in row else label_order.index(row["label"]) for row in chunk]
        scores = match.values(own, "score").tolist()
        margins = [None if math.isnan(m) else m for m in match.values(own, "margin").tolist()] if len(label_order) > 1 else [None] * len(chunk)
        kept = match.kept(own, config.filter_rule, threshold, score_threshold)
        log.append([{"id": row["id"], "event": "scored", "clap_score": s, "clap_margin": m, "kept": bool(k) or not config.filter} for row, s, m, k in zip(chunk, scores, margins, kept.tolist())])


def rejected_by_rule(rows: list[dict], thresholds: dict[str, float]) -> dict[str, int]:
    """How many of ``rows`` each rule would reject at its threshold (``rank``: a margin below 0, the label not first; a row without a margin is judged by the score rule)."""
    counts = {"score": sum(row["clap_score"] < thresholds["score"] for row in rows)}
    if "margin" in thresholds:
        def below(row: dict, margin_threshold: float) -> bool:
            return row["clap_score"] < thresholds["score"] if row["clap_margin"] is None else row["clap_margin"] < margin_threshold

        counts.update(margin=sum(below(row, thresholds["margin"]) for row in rows), rank=sum(below(row, 0.0) for row in rows))
    return counts


def write_output(out: Path, work: Path, clips: list[Clip], state: dict[str, dict]) -> None:
    """Copy kept clips to ``OUT/audio`` (replacing any older file of the same name, removing the run's own clips no longer kept, never another file), then write ``metadata.csv`` and ``manifest.jsonl`` atomically."""
    kept = [row for row in state.values() if row.get("kept")]
    multi_label = is_multi_label_clips(clips)
    label_column = LABELS_COLUMN if multi_label else "label"
    (out / "audio").mkdir(parents=True, exist_ok=True)
    remove_temporaries(out / "audio")
    names = {Path(row["file"]).name for row in kept}
    for row in state.values():
        stale = out / "audio" / Path(row["file"]).name
        if stale.name not in names and stale.is_file():
            stale.unlink()
    for row in kept:
        write_atomic(out / "audio" / Path(row["file"]).name, lambda tmp: shutil.copyfile(work / row["file"], tmp))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file_name", label_column, "caption", "clap_score", "round", "parent_file"], lineterminator="\n")
    writer.writeheader()
    for row in kept:
        writer.writerow({"file_name": f"audio/{Path(row['file']).name}", label_column: row["label"], "caption": row["caption"], "clap_score": f"{row['clap_score']:.4f}", "round": row["round"], "parent_file": row["parent_file"]})
    write_text_atomic(out / "metadata.csv", buffer.getvalue())
    fields = ["id", "file", "label", *(["labels"] if multi_label else []), "caption", "parent_id", "parent_file", "seed", "round", "seconds", "init_strength", "init_file", "clap_score", "clap_margin", "kept"]
    write_text_atomic(out / "manifest.jsonl", "".join(json.dumps({k: row.get(k) for k in fields}) + "\n" for row in state.values()))
    console.print(f"kept {len(kept)} of {len(state)} generated clips")
