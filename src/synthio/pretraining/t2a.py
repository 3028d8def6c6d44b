"""Pretrain the embedded tiny T2A on a captioned corpus (``synthio pretrain t2a``): resumable, logged, CPU or CUDA.

Features are computed once into ``OUT/features.npz``: normalised log-mels stored as 8-bit codes
over each band's range (the 0.4 %-of-range rounding is far below the diffusion noise) and the
MiniLM token embeddings of each distinct caption. A rerun, a resume or a run on another machine
reads that file and never needs the corpus or the text encoder again. The caption of a clip is
dropped (all-zero condition) with probability ``cfg_dropout`` so that classifier-free guidance has
an unconditional model to push against.

``init`` continues from a trained model (the shipped one, to learn a new corpus without starting
over): its weights, its configuration and its mel statistics, which the features are then
normalised with rather than refitted, so the model sees its inputs on the scale it learned.
Pitfall: ``features.npz`` fixes the statistics, so a folder computed for another start is refused.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synthio.atomic import write_atomic
from synthio.checkpoint import restore, save_checkpoint
from synthio.device import resolve_device
from synthio.errors import MissingFileError, SynthioError
from synthio.progress import console, progress_bar
from synthio.t2a.tiny import TinyT2A, TinyT2AConfig

FEATURES = "features.npz"


@dataclass(frozen=True)
class T2ATrainConfig:
    steps: int = 20000
    batch_size: int = 32
    learning_rate: float = 3e-4
    cfg_dropout: float = 0.1
    checkpoint_every: int = 250
    seed: int = 0
    device: str = "auto"


def cache_features(corpus: str | Path, model: TinyT2A, path: str | Path, fit_statistics: bool = True) -> Path:
    """Write ``path`` (atomically) with the corpus's 8-bit normalised log-mels, mel statistics (fitted, or ``model``'s own) and distinct-caption tokens.

    The waveforms are released once their mels exist: on the 23-h corpus v2 they are 11.6 GB, and
    the run that held them through the normalisation peaked at 23.2 GB resident.
    """
    from synthio.pretraining.corpus.base import load_corpus

    path = Path(path)
    captions, _, _, waves = load_corpus(corpus, model.sample_rate, model.max_seconds)
    with torch.no_grad():
        mels = torch.cat([model.log_mel(waves[i : i + 256]) for i in range(0, len(waves), 256)])
        del waves
        if fit_statistics:
            model.fit_statistics(mels)
        x = model.normalise(mels)
        low, high = x.amin(dim=(0, 2)), x.amax(dim=(0, 2))
        codes = torch.round((x - low[:, None]) / (high - low).clamp_min(1e-6)[:, None] * 255).to(torch.uint8)
        distinct = sorted(set(captions))
        tokens = torch.cat([model.text_tokens(distinct[i : i + 256]).cpu() for i in range(0, len(distinct), 256)])
    used = int((tokens.abs().sum(-1) > 0).sum(1).max())
    arrays = dict(
        codes=codes.numpy(), low=low.numpy(), high=high.numpy(), mel_mean=model.mel_mean.numpy(), mel_std=model.mel_std.numpy(),
        caption_index=np.searchsorted(np.array(distinct), np.array(captions)),
        tokens=tokens[:, :used].to(torch.float16).numpy(), captions=np.array(distinct),
    )
    return write_atomic(path, lambda tmp: np.savez_compressed(tmp, **arrays), suffix=".npz")


def load_features(path: str | Path, model: TinyT2A) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Set ``model``'s mel statistics from ``path``; return mels ``(N, 1, n_mels, frames)`` fp16, caption index ``(N,)``, tokens ``(U, max_text_tokens, 384)`` fp16."""
    data = np.load(path)
    if data["codes"].shape[1] != model.config.n_mels:
        raise SynthioError(f"{path} holds {data['codes'].shape[1]}-band mels but the model wants {model.config.n_mels}; delete it to recompute")
    model.mel_mean, model.mel_std = torch.from_numpy(data["mel_mean"]), torch.from_numpy(data["mel_std"])
    low, high = torch.from_numpy(data["low"]), torch.from_numpy(data["high"])
    x = torch.from_numpy(data["codes"]).float() / 255 * (high - low)[:, None] + low[:, None]
    frames = model.frames_for(model.max_seconds)
    x0 = F.pad(x[:, :, :frames], (0, frames - min(frames, x.shape[-1])), value=0.0)[:, None].to(torch.float16)
    tokens = torch.from_numpy(data["tokens"])
    tokens = F.pad(tokens, (0, 0, 0, model.config.max_text_tokens - tokens.shape[1]))
    return x0, torch.from_numpy(data["caption_index"]).long(), tokens


def pretrain_t2a(
    corpus: str | Path | None, out: str | Path, train: T2ATrainConfig = T2ATrainConfig(), model_config: TinyT2AConfig | None = None, text=None, init: str | Path | None = None,
) -> Path:
    """Train (or resume) and export ``OUT/model``, from scratch or from the model folder ``init``; ``corpus`` may be None when ``OUT/features.npz`` exists."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(resolve_device(train.device))
    torch.manual_seed(train.seed)
    if init is None:
        model = TinyT2A(model_config or TinyT2AConfig(), text=text, device=str(device))
    elif model_config is not None:
        raise SynthioError("give a model configuration or a model to start from (init), not both: the start fixes the configuration")
    elif not (Path(init) / "model.safetensors").is_file():
        raise MissingFileError(f"{init}/model.safetensors not found: init takes a model folder from `synthio pretrain t2a` (OUT/model) or the shipped one")
    else:
        model = TinyT2A.load(init, device=str(device), text=text)
    start_statistics = (model.mel_mean.clone(), model.mel_std.clone())
    features = out / FEATURES
    if not features.exists():
        if corpus is None:
            raise MissingFileError(f"{features} does not exist: pass --corpus to compute it")
        cache_features(corpus, model, features, fit_statistics=init is None)
    x0, caption_index, tokens = load_features(features, model)
    if init is not None and not (torch.equal(model.mel_mean, start_statistics[0]) and torch.equal(model.mel_std, start_statistics[1])):
        raise SynthioError(f"{features} was normalised with other mel statistics than {init}'s: delete it (or use another --out) to recompute it for this start")
    optimizer = torch.optim.AdamW(model.unet.parameters(), lr=train.learning_rate, weight_decay=1e-2)
    warmup = min(500, train.steps // 10 + 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, train.steps) / train.steps)))
    start = 0
    checkpoint = out / "checkpoint.pt"
    state = restore(checkpoint, {"unet": model.unet, "optimizer": optimizer, "scheduler": scheduler})
    if state is not None:
        start = int(state["step"])
        console.print(f"resuming after step {start}")
    generator = torch.Generator().manual_seed(train.seed + start)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    x0, caption_index, tokens = x0.to(device), caption_index.to(device), tokens.to(device)
    model.unet.train()
    log = open(out / "log.jsonl", "a")
    losses, started = [], time.time()
    with progress_bar() as progress:
        task = progress.add_task("pretrain t2a", total=train.steps, completed=start, status="")
        for step in range(start + 1, train.steps + 1):
            index = torch.randint(0, len(x0), (train.batch_size,), generator=generator).to(device)
            batch = x0[index].float()
            drop = (torch.rand(train.batch_size, generator=generator) < train.cfg_dropout).to(device)
            cond = tokens[caption_index[index]].float() * (~drop).float()[:, None, None]
            t = torch.rand(train.batch_size, generator=generator)
            noise = torch.randn(batch.shape, generator=generator).to(device)
            with autocast:
                loss = model.v_loss(batch, cond, t, noise).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.unet.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.detach())
            if step % 25 == 0 or step == train.steps:
                progress.update(task, completed=step, status=f"loss {torch.stack(losses[-50:]).mean().item():.4f}")
            if step % train.checkpoint_every == 0 or step == train.steps:
                log.write(json.dumps({"step": step, "loss": float(torch.stack(losses).mean()), "seconds": round(time.time() - started, 1)}) + "\n")
                log.flush()
                losses, started = [], time.time()
                save_checkpoint(checkpoint, {"unet": model.unet.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step})
    log.close()
    model.unet.eval()
    return model.save(out / "model", metadata={"corpus": str(corpus), "init": str(init), "steps": str(train.steps), "clips": str(len(x0))})
