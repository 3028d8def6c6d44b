"""Train the tiny T2A's neural vocoder on a corpus (``synthio pretrain vocoder``): resumable, logged, CPU or CUDA.

Audio is read once into ``OUT/segments.npz``: from the centre 4 s of each corpus clip (as the other
pretrainings read it) the loudest ``segment_seconds`` window (16-bit), so that training batches are rarely silence, and a run on another machine needs
neither the corpus nor its decoders. Each step crops ``crop_seconds`` at random from a batch of
segments, computes their log-mels (the T2A's), vocodes them and takes ``vocoder_loss`` against the
real audio. A checkpoint every ``checkpoint_every`` steps; ``OUT/model`` is the exported vocoder.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from synthio.atomic import write_atomic
from synthio.checkpoint import restore, save_checkpoint
from synthio.device import resolve_device
from synthio.errors import MissingFileError, SynthioError
from synthio.progress import console, progress_bar
from synthio.t2a.vocoder import MelVocoder, VocoderConfig, vocoder_loss

SEGMENTS = "segments.npz"


@dataclass(frozen=True)
class VocoderTrainConfig:
    steps: int = 20000
    batch_size: int = 16
    crop_seconds: float = 1.0
    segment_seconds: float = 2.0
    learning_rate: float = 5e-4
    checkpoint_every: int = 250
    seed: int = 0
    device: str = "auto"


def loudest_window(samples: np.ndarray, length: int, hop: int) -> np.ndarray:
    """The ``length``-sample window of ``samples`` (zero-padded if shorter) with the most energy, searched at ``hop``-sample offsets."""
    if len(samples) <= length:
        return np.pad(samples, (0, length - len(samples)))
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    starts = np.arange(0, len(samples) - length + 1, hop)
    best = int(starts[np.argmax(energy[starts + length] - energy[starts])])
    return samples[best : best + length]


def cache_segments(corpus: str | Path, config: VocoderConfig, segment_seconds: float, path: str | Path) -> Path:
    """Write ``path`` (atomically): the loudest ``segment_seconds`` of every corpus clip as int16 ``(clips, samples)``."""
    from synthio.pretraining.corpus.base import load_corpus

    waves = load_corpus(corpus, config.sample_rate, max(4.0, segment_seconds)).waves
    length = int(round(segment_seconds * config.sample_rate))
    segments = np.stack([loudest_window(np.asarray(w, np.float32), length, config.hop_length) for w in waves])
    codes = np.round(np.clip(segments, -1.0, 1.0) * 32767).astype(np.int16)
    return write_atomic(Path(path), lambda tmp: np.savez(tmp, segments=codes, sample_rate=np.array(config.sample_rate)), suffix=".npz")


def load_segments(path: str | Path, sample_rate: int) -> torch.Tensor:
    """``(clips, samples)`` float32 segments from ``cache_segments``; refused at another sample rate."""
    data = np.load(path)
    if int(data["sample_rate"]) != sample_rate:
        raise SynthioError(f"{path} holds audio at {int(data['sample_rate'])} Hz but the vocoder wants {sample_rate} Hz; delete it to recompute")
    return torch.from_numpy(data["segments"].astype(np.float32) / 32767)


def pretrain_vocoder(corpus: str | Path | None, out: str | Path, train: VocoderTrainConfig = VocoderTrainConfig(), model_config: VocoderConfig = VocoderConfig()) -> Path:
    """Train (or resume) and export ``OUT/model``; ``corpus`` may be None when ``OUT/segments.npz`` exists."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(resolve_device(train.device))
    crop = int(round(train.crop_seconds * model_config.sample_rate))
    if crop < model_config.n_fft or train.crop_seconds > train.segment_seconds:
        raise SynthioError(f"crop_seconds {train.crop_seconds} must span at least one FFT ({model_config.n_fft} samples) and fit in segment_seconds {train.segment_seconds}")
    segments_path = out / SEGMENTS
    if not segments_path.exists():
        if corpus is None:
            raise MissingFileError(f"{segments_path} does not exist: pass --corpus to compute it")
        cache_segments(corpus, model_config, train.segment_seconds, segments_path)
    segments = load_segments(segments_path, model_config.sample_rate)
    torch.manual_seed(train.seed)
    model = MelVocoder(model_config)
    model.fit_statistics(torch.cat([model.mel(segments[i : i + 256]) for i in range(0, len(segments), 256)]))
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.learning_rate, weight_decay=1e-2, betas=(0.8, 0.9))
    warmup = min(500, train.steps // 10 + 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, train.steps) / train.steps)))
    start = 0
    checkpoint = out / "checkpoint.pt"
    state = restore(checkpoint, {"model": model, "optimizer": optimizer, "scheduler": scheduler})
    if state is not None:
        start = int(state["step"])
        console.print(f"resuming after step {start}")
    generator = torch.Generator().manual_seed(train.seed + start)
    model.train()
    log = open(out / "log.jsonl", "a")
    parts: list[dict[str, float]] = []
    started = time.time()
    with progress_bar() as progress:
        task = progress.add_task("pretrain vocoder", total=train.steps, completed=start, status="")
        for step in range(start + 1, train.steps + 1):
            index = torch.randint(0, len(segments), (train.batch_size,), generator=generator)
            offsets = torch.randint(0, segments.shape[1] - crop + 1, (train.batch_size,), generator=generator)
            target = torch.stack([segments[i, o : o + crop] for i, o in zip(index.tolist(), offsets.tolist())]).to(device)
            loss, part = vocoder_loss(model, model(model.mel(target), crop), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            parts.append(part)
            if step % 25 == 0 or step == train.steps:
                progress.update(task, completed=step, status=f"mel {np.mean([p['mel'] for p in parts[-50:]]):.3f} stft {np.mean([p['stft'] for p in parts[-50:]]):.3f}")
            if step % train.checkpoint_every == 0 or step == train.steps:
                record = {"step": step, "mel": float(np.mean([p["mel"] for p in parts])), "stft": float(np.mean([p["stft"] for p in parts])), "seconds": round(time.time() - started, 1)}
                log.write(json.dumps(record) + "\n")
                log.flush()
                parts, started = [], time.time()
                save_checkpoint(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step})
    log.close()
    model.cpu().eval()
    return model.save(out / "model", metadata={"corpus": str(corpus), "steps": str(train.steps), "clips": str(len(segments))})
