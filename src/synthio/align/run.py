"""The alignment stage (``synthio align``): few-shot split -> DPO pairs -> LoRA training -> Frechet distance before and after.

The distance is measured in the CLAP audio-embedding space between the real few-shot clips and
one clip generated per real clip from "Sound of a {label}" at its duration, with the same seeds
before and after training, so the only thing that changes is the adapter.

With ``validation_clips`` > 0, that many few-shot clips (stratified per class, seeded) are held out:
they are never winners, and every ``validate_every`` steps one clip per held-out clip is generated
(fixed seeds) and its FD to the held-out clips picks the adapter that is kept (early stopping on
few-shot data only, never the test part).

Under ``accelerate launch`` (several GPUs) the main process claims the folder, makes the pairs
and the FD clips while the others wait, every process trains on its share of each batch, and the
main process writes the adapter and ``align.json`` (docs/backends.md, "On several GPUs").
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
from pydantic import Field

from synthio.align.dpo import AlignTrainConfig, make_accelerator, train_alignment
from synthio.align.pairs import make_pairs, read_losers
from synthio.atomic import write_text_atomic
from synthio.audio import fit_duration, read_audio, write_audio
from synthio.backends import AlignBackends, load_clap, load_t2a
from synthio.clap.base import template_prompt
from synthio.clap.frechet import frechet_distance
from synthio.config import Guidance
from synthio.dataset import Clip
from synthio.errors import SynthioError
from synthio.outdir import claim_output
from synthio.progress import console
from synthio.split import FewShotSelection
from synthio.t2a.lora import save_lora

FD_SEED = 7_000_000
VALIDATION_SEED = 8_000_000


class AlignConfig(AlignBackends, FewShotSelection):
    """Settings of ``synthio align`` (YAML keys = these field names)."""

    losers_per_clip: int = Field(2, ge=1, description="k: base-model outputs per real clip")
    sample_steps: int = Field(16, ge=1, description="sampler steps for losers and the FD clips")
    guidance: Guidance = 5.0
    train: AlignTrainConfig = Field(default_factory=AlignTrainConfig)
    validation_clips: int = Field(0, ge=0, description="few-shot clips held out (stratified per class, seeded; never winners) for a validation FD that picks the kept adapter; 0: off")
    validate_every: int = Field(50, ge=1, description="optimiser steps between validation FDs (also at step 0 and the last step)")

    def output_settings(self, exclude: dict | None = None) -> dict:
        """Gradient checkpointing changes memory, not results: a run may resume with it switched."""
        return super().output_settings({"train": {"gradient_checkpointing": True}, **(exclude or {})})

    def added_later(self) -> dict:
        """Settings an older version's folder may lack while they are set to what came before (``synthio.outdir.as_recorded``)."""
        unused = {"validation_clips": True, "validate_every": True} if self.validation_clips == 0 else {}
        return {**super().added_later(), "train": self.train.added_later(self.t2a.device), **unused}


def few_shot_clips(config: AlignConfig, sample_rate: int, max_seconds: float) -> list[Clip]:
    """The few-shot train part (same rule and seed as ``synthio evaluate``), clips longer than the model window centre-cropped."""
    clips = config.load(sample_rate)
    limit = int(max_seconds * sample_rate)
    long = [c for c in clips if len(c.samples) > limit]
    if long:
        console.print(f"{len(long)} clip(s) longer than the model's {max_seconds:g} s window are centre-cropped to it for alignment")
    return [Clip(c.file_name, c.label, fit_duration(c.samples, limit, "pad", offset=(len(c.samples) - limit) // 2) if len(c.samples) > limit else c.samples, c.sample_rate, c.meta) for c in clips]


def hold_out(clips: list[Clip], count: int, seed: int) -> tuple[list[Clip], list[Clip]]:
    """``(winners, held_out)``: ``count`` clips taken per class in turn (classes and clips in a seeded order), each class keeping a winner."""
    if count == 0:
        return clips, []
    if count < 2:
        raise SynthioError(f"validation_clips: {count} is too few for a Frechet distance; use at least 2, or 0 to switch validation off")
    rng = np.random.default_rng(seed + VALIDATION_SEED)
    by_label: dict[str, list[int]] = {}
    for i, clip in enumerate(clips):
        by_label.setdefault(clip.label, []).append(i)
    queues = {label: list(rng.permutation(indices))[: len(indices) - 1] for label, indices in sorted(by_label.items())}
    if sum(len(q) for q in queues.values()) < count:
        raise SynthioError(f"validation_clips: {count} leaves a class without winners ({len(clips)} few-shot clips, {len(by_label)} classes); lower it or raise n")
    order = [str(label) for label in rng.permutation(sorted(queues))]
    taken: set[int] = set()
    while len(taken) < count:
        for label in order:
            if queues[label] and len(taken) < count:
                taken.add(int(queues[label].pop(0)))
    return [c for i, c in enumerate(clips) if i not in taken], [c for i, c in enumerate(clips) if i in taken]


def generate_for_fd(t2a, clips: list[Clip], folder: Path, steps: int, guidance: float, batch_size: int = 16, first_seed: int = FD_SEED) -> list[np.ndarray]:
    """One clip per real clip from its template prompt (seed ``first_seed + i``), cached as ``folder/i.wav`` (``samples/index.json`` names clip i)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{i:04d}.wav" for i in range(len(clips))]
    todo = sorted((i for i, p in enumerate(paths) if not p.exists()), key=lambda i: clips[i].seconds)
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        waves = t2a.sample([template_prompt(clips[i].label) for i in chunk], [clips[i].seconds for i in chunk], steps, guidance, [first_seed + i for i in chunk])
        for i, wave in zip(chunk, waves):
            write_audio(paths[i], wave, t2a.sample_rate)
    return [read_audio(p, t2a.sample_rate) for p in paths]


def align_dataset(config: AlignConfig, t2a=None, clap=None, force: bool = False) -> dict:
    """Run (or resume) the stage; writes ``OUT/adapter.safetensors``, ``OUT/align.json`` and returns the latter.

    ``t2a`` / ``clap`` default to the configured backends; a ``t2a`` passed in gets the trained LoRA in place.
    OUT is claimed and locked first (``synthio.outdir``).
    """
    config.check()
    accelerator = make_accelerator()
    if not accelerator.is_main_process:
        return run_alignment(config, t2a, clap, accelerator)
    with claim_output(config.out, "align", config.output_settings(), inputs=(config.data_dir,), force=force, added_later=config.added_later(), outputs=("align.json", "adapter.safetensors", "pairs.jsonl", "losers", "samples", "train")):
        return run_alignment(config, t2a, clap, accelerator)


def run_alignment(config: AlignConfig, t2a=None, clap=None, accelerator=None) -> dict:
    """Pairs, FD before, training, FD after; skipped when ``align.json`` exists. With several processes only the main one writes."""
    main = accelerator is None or accelerator.is_main_process
    wait = accelerator.wait_for_everyone if accelerator is not None and accelerator.num_processes > 1 else lambda: None
    out = config.out
    summary_path = out / "align.json"
    wait()
    if summary_path.exists():
        console.print(f"{summary_path} exists: alignment already done (delete the folder to redo it)")
        return json.loads(summary_path.read_text())
    started = time.time()
    t2a = t2a if t2a is not None else load_t2a(config.t2a)
    clips, held = hold_out(few_shot_clips(config, t2a.sample_rate, t2a.max_seconds), config.validation_clips, config.seed)
    if main:
        out.mkdir(parents=True, exist_ok=True)
        clap = clap if clap is not None else load_clap(config.clap)
        pairs = make_pairs(t2a, clips, out, config.losers_per_clip, config.seed, config.sample_steps, config.guidance)
        (out / "samples").mkdir(exist_ok=True)
        (out / "samples/index.json").write_text(json.dumps([{"file_name": c.file_name, "label": c.label} for c in clips], indent=1))
        real_embeddings = clap.embed_audio([c.samples for c in clips], t2a.sample_rate).numpy()
        before = generate_for_fd(t2a, clips, out / "samples/before", config.sample_steps, config.guidance)
        fd_before = frechet_distance(clap.embed_audio(before, t2a.sample_rate).numpy(), real_embeddings)
        if held:
            (out / "samples/validation").mkdir(exist_ok=True)
            (out / "samples/validation/index.json").write_text(json.dumps([{"file_name": c.file_name, "label": c.label} for c in held], indent=1))
            held_embeddings = clap.embed_audio([c.samples for c in held], t2a.sample_rate).numpy()
    wait()
    if not main:
        pairs = make_pairs(t2a, clips, out, config.losers_per_clip, config.seed, config.sample_steps, config.guidance)

    encoded = t2a.encode([c.samples for c in clips] + read_losers(pairs, t2a.sample_rate), t2a.sample_rate)
    winners, losers = encoded.select(list(range(len(clips)))), encoded.select(list(range(len(clips), len(encoded))))

    def validate(step: int) -> float | None:
        fd = None
        if main:
            folder = out / f"samples/validation/{step:06d}"
            shutil.rmtree(folder, ignore_errors=True)
            generated = generate_for_fd(t2a, held, folder, config.sample_steps, config.guidance, first_seed=VALIDATION_SEED)
            fd = frechet_distance(clap.embed_audio(generated, t2a.sample_rate).numpy(), held_embeddings)
            console.print(f"validation FD at step {step}: {fd:.4f}")
        wait()
        return fd

    validator = dict(validate=validate, validate_every=config.validate_every) if held else {}
    trained = train_alignment(t2a, winners, losers, [p.winner for p in pairs], [p.prompt for p in pairs], config.train, out / "train", accelerator, **validator)
    if not main:
        wait()
        return json.loads(summary_path.read_text())
    save_lora(t2a.network, out / "adapter.safetensors", metadata={"model": t2a.name, "objective": config.train.objective, "lora_rank": str(config.train.lora_rank)})

    after = generate_for_fd(t2a, clips, out / "samples/after", config.sample_steps, config.guidance)
    fd_after = frechet_distance(clap.embed_audio(after, t2a.sample_rate).numpy(), real_embeddings)
    summary = {
        "objective": config.train.objective,
        "initial_loss": trained["initial_loss"],
        "final_loss": trained["final_loss"],
        "implicit_accuracy": trained["implicit_accuracy"],
        "fd_before": fd_before,
        "fd_after": fd_after,
        "steps": trained["steps"],
        "seconds": round(time.time() - started, 1),
        "train_seconds": trained["train_seconds"],
        "seconds_per_step": trained["seconds_per_step"],
        "peak_memory_mib": trained["peak_memory_mib"],
        "peak_memory_source": trained["peak_memory_source"],
        "gradient_checkpointing": trained["gradient_checkpointing"],
        "mixed_precision": trained["mixed_precision"],
        "optimizer": trained["optimizer"],
        "lora_parameters": trained["lora_parameters"],
        "processes": trained["processes"],
        "clips": len(clips),
        "pairs": len(pairs),
        "validation_clips": [c.file_name for c in held],
        "validation": trained.get("validation"),
        "model": t2a.name,
        "clap": getattr(clap, "name", type(clap).__name__),
        "config": config.model_dump(mode="json"),
    }
    write_text_atomic(summary_path, json.dumps(summary, indent=2))
    wait()
    return summary
