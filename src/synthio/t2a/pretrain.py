"""Pretrain the embedded tiny T2A on a captioned corpus (``synthio pretrain t2a``): resumable, logged, CPU or CUDA.

Mels and MiniLM token embeddings are computed once; each step then costs one UNet pass. The
caption of a clip is dropped (all-zero condition) with probability ``cfg_dropout`` so that
classifier-free guidance has an unconditional model to push against.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from synthio.corpus.base import load_corpus
from synthio.progress import console, progress_bar
from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
from synthio.train.trainer import resolve_device


@dataclass(frozen=True)
class T2ATrainConfig:
    steps: int = 20000
    batch_size: int = 32
    learning_rate: float = 3e-4
    cfg_dropout: float = 0.1
    checkpoint_every: int = 250
    seed: int = 0
    device: str = "auto"


def pretrain_t2a(corpus: str | Path, out: str | Path, train: T2ATrainConfig = T2ATrainConfig(), model_config: TinyT2AConfig = TinyT2AConfig(), text=None) -> Path:
    """Train (or resume) and export ``OUT/model``; returns that folder."""
    corpus, out = Path(corpus), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(train.device)
    torch.manual_seed(train.seed)
    model = TinyT2A(model_config, text=text, device=str(device))
    captions, _, waves = load_corpus(corpus, model_config.sample_rate, model_config.max_seconds)
    with torch.no_grad():
        mels = torch.cat([model.log_mel(waves[i : i + 256]) for i in range(0, len(waves), 256)])
        model.fit_statistics(mels)
        frames = model.frames_for(model_config.max_seconds)
        x0 = torch.nn.functional.pad(model.normalise(mels), (0, frames - mels.shape[-1]), value=0.0)[:, None].to(torch.float16)
        tokens = torch.cat([model.text_tokens(captions[i : i + 256]).cpu() for i in range(0, len(captions), 256)]).to(torch.float16)
    optimizer = torch.optim.AdamW(model.unet.parameters(), lr=train.learning_rate, weight_decay=1e-2)
    warmup = min(500, train.steps // 10 + 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, train.steps) / train.steps)))
    start = 0
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        model.unet.load_state_dict(state["unet"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start = int(state["step"])
        console.print(f"resuming after step {start}")
    generator = torch.Generator().manual_seed(train.seed + start)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    model.unet.train()
    log = open(out / "log.jsonl", "a")
    losses, started = [], time.time()

    def save(step: int) -> None:
        tmp = checkpoint.with_suffix(".tmp")
        torch.save({"unet": model.unet.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step}, tmp)
        tmp.replace(checkpoint)

    with progress_bar() as progress:
        task = progress.add_task("pretrain t2a", total=train.steps, completed=start, status="")
        for step in range(start + 1, train.steps + 1):
            index = torch.randint(0, len(x0), (train.batch_size,), generator=generator)
            batch = x0[index].float().to(device)
            cond = tokens[index].float().to(device)
            drop = torch.rand(train.batch_size, generator=generator) < train.cfg_dropout
            cond = cond * (~drop).float().to(device)[:, None, None]
            t = torch.rand(train.batch_size, generator=generator)
            noise = torch.randn(batch.shape, generator=generator).to(device)
            with autocast:
                loss = model.v_loss(batch, cond, t, noise).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.unet.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            progress.update(task, advance=1, status=f"loss {np.mean(losses[-50:]):.4f}")
            if step % train.checkpoint_every == 0 or step == train.steps:
                log.write(json.dumps({"step": step, "loss": float(np.mean(losses)), "seconds": round(time.time() - started, 1)}) + "\n")
                log.flush()
                losses, started = [], time.time()
                save(step)
    log.close()
    model.unet.eval()
    return model.save(out / "model", metadata={"corpus": str(corpus), "steps": str(train.steps), "clips": str(len(x0))})
