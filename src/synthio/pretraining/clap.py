"""Pretrain the tiny CLAP on a captioned corpus (``synthio pretrain clap``): resumable, logged, CPU or CUDA.

Log-mel features and MiniLM caption embeddings are computed once; each epoch then costs only the
audio tower. A checkpoint (weights + optimiser, safetensors/torch tensors only) is written after
every epoch; rerunning the command resumes from it. ``OUT/model`` holds the exported model.

With ``holdout_fraction > 0`` a seeded share of the clips is never trained on; after training the
score is calibrated on them (``synthio.clap.calibration``: scale and bias written to
``OUT/model/calibration.json``, with the held-out zero-shot accuracy among each source's labels).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from synthio.checkpoint import restore, save_checkpoint
from synthio.clap.base import template_prompt
from synthio.clap.calibration import ScoreCalibration, calibrate
from synthio.clap.tiny import TinyClap, TinyClapAudio, TinyClapConfig, load_tiny_clap_audio, multi_positive_clip_loss, save_tiny_clap
from synthio.device import resolve_device
from synthio.errors import SynthioError
from synthio.outdir import fingerprint
from synthio.pretraining.corpus.base import load_corpus
from synthio.progress import console, progress_bar, say
from synthio.specaugment import SpecAugment
from synthio.text import MiniLMText, shared_text_encoder


@dataclass(frozen=True)
class ClapTrainConfig:
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 1e-2
    seed: int = 0
    device: str = "auto"
    holdout_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.holdout_fraction < 1.0:
            raise SynthioError(f"holdout_fraction must be in [0, 1), got {self.holdout_fraction}")


def pretrain_clap(corpus: str | Path, out: str | Path, train: ClapTrainConfig = ClapTrainConfig(), model_config: TinyClapConfig = TinyClapConfig(), text: MiniLMText | None = None) -> Path:
    """Train (or resume) and export ``OUT/model``; returns that folder."""
    corpus, out = Path(corpus), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(resolve_device(train.device))
    torch.manual_seed(train.seed)
    generator = torch.Generator().manual_seed(train.seed)

    captions, labels, sources, waves = load_corpus(corpus, model_config.sample_rate, model_config.seconds)
    held_out, kept = holdout_split(len(captions), train.holdout_fraction, train.seed)
    text = text or shared_text_encoder()
    sentence = text([captions[i] for i in kept])
    label_names = sorted(set(labels))
    label_ids = torch.tensor([label_names.index(labels[i]) for i in kept])
    model = TinyClapAudio(model_config)
    with torch.no_grad():
        features = torch.cat([model.logmel(waves[i : i + 256]) for i in range(0, len(waves), 256)])
        del waves
        fitted = features[kept] if len(held_out) else features
        model.feature_mean.copy_(fitted.reshape(-1, features.shape[-1]).mean(0))
        model.feature_std.copy_(fitted.reshape(-1, features.shape[-1]).std(0).clamp_min(1e-5))
        del fitted
        features = ((features - model.feature_mean) / model.feature_std).to(torch.float16)
        if len(held_out):
            features, held_out_features = features[kept], features[held_out]
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.learning_rate, weight_decay=train.weight_decay)
    steps_per_epoch = max(1, len(features) // train.batch_size)
    total = train.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / steps_per_epoch) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    start_epoch = 0
    checkpoint = out / "checkpoint.pt"
    state = restore(checkpoint, {"model": model, "optimizer": optimizer, "scheduler": scheduler})
    holdout = holdout_fingerprint(held_out, len(captions))
    if state is not None:
        if state.get("holdout", holdout_fingerprint(torch.zeros(0, dtype=torch.long), len(captions))) != holdout:
            raise SynthioError(
                f"{checkpoint} was trained with other clips held out (another --holdout-fraction or --seed, or the corpus has changed since): "
                "rerun with those settings to resume, or name another --out"
            )
        start_epoch = int(state["epoch"])
        generator.manual_seed(train.seed + start_epoch)
        console.print(f"resuming after epoch {start_epoch}")
    spec_augment = SpecAugment(time_masks=2, max_time_fraction=0.1, freq_masks=2, max_freq_bins=8)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    log = open(out / "log.jsonl", "a")
    with progress_bar() as progress:
        task = progress.add_task("pretrain clap", total=total, completed=start_epoch * steps_per_epoch, status="")
        for epoch in range(start_epoch, train.epochs):
            model.train()
            order = torch.randperm(len(features), generator=generator)
            losses, started = [], time.time()
            for step in range(steps_per_epoch):
                index = order[step * train.batch_size : (step + 1) * train.batch_size]
                x = spec_augment(features[index].float(), generator)
                shift = int(torch.randint(0, x.shape[1], (1,), generator=generator))
                x = torch.roll(x, shift, dims=1).to(device)
                with autocast:
                    audio = model.audio_embedding(x)
                    txt = model.text_embedding(sentence[index].to(device))
                    loss = multi_positive_clip_loss(audio.float(), txt.float(), label_ids[index].to(device), model.logit_scale)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                progress.update(task, advance=1, status=f"epoch {epoch + 1}/{train.epochs} loss {np.mean(losses):.3f}")
            record = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "logit_scale": float(model.logit_scale.detach().exp()), "seconds": round(time.time() - started, 1)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            save_checkpoint(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "epoch": epoch + 1, "holdout": holdout})
    log.close()
    model.cpu().eval()
    folder = save_tiny_clap(model, out / "model", metadata={"corpus": str(corpus), "epochs": str(train.epochs), "clips": str(len(features)), "held_out_clips": str(len(held_out))})
    if len(held_out):
        try:
            calibration = calibrate_held_out(load_tiny_clap_audio(folder).eval(), held_out_features, held_out.tolist(), labels, sources, text)
        except ValueError as error:
            say("warning:", f"no calibration written: {error} (every held-out clip's source has one label?)")
            return folder
        calibration.save(folder)
        console.print(f"calibrated on {calibration.held_out_clips} held-out clips: {json.dumps(calibration.report)}")
    return folder


def holdout_split(clips: int, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices ``(held_out, kept)``, both sorted: a seeded ``round(fraction * clips)`` never trained on."""
    order = torch.randperm(clips, generator=torch.Generator().manual_seed(seed + 7919))
    count = int(round(fraction * clips))
    if fraction > 0 and not 0 < count < clips:
        raise SynthioError(f"holdout_fraction {fraction} of {clips} clips leaves no clip to hold out or none to train on")
    return order[:count].sort().values, order[count:].sort().values


def holdout_fingerprint(held_out: torch.Tensor, clips: int) -> str:
    """Which clips were held out of how many: a resumed run must hold out the very same ones."""
    return fingerprint({"clips": clips, "held_out": held_out.tolist()})


@torch.no_grad()
def calibrate_held_out(model: TinyClapAudio, features: torch.Tensor, held_out: list[int], labels: list[str], sources: list[str], text: MiniLMText) -> ScoreCalibration:
    """Calibrate the score on the held-out clips (``features`` are theirs), each against the template prompts of every label of its source (its dataset)."""
    source_labels = {source: sorted({label for label, s in zip(labels, sources) if s == source}) for source in {sources[i] for i in held_out}}
    prompts = {source: model.text_embedding(text([template_prompt(label) for label in names])) for source, names in source_labels.items()}
    audio = torch.cat([model.audio_embedding(features[i : i + 256].float()) for i in range(0, len(features), 256)])
    cosines = [prompts[sources[i]] @ a for a, i in zip(audio, held_out)]
    own = [source_labels[sources[i]].index(labels[i]) for i in held_out]
    return calibrate(cosines, own, TinyClap(model, text).log_logit_scale())
