"""Diffusion-DPO (Wallace et al. 2023) and the ERM ablation over any ``TextToAudio`` with LoRA.

Why: DPO pulls the base model toward the real clips (winners) and away from its own template
outputs (losers); ERM only pulls toward the winners. Both train LoRA alone. The reference of DPO
is the same network inside ``t2a.reference()`` (adapters off): no second copy in memory.

Pitfalls: noise and timestep must be shared inside a pair, or the loss compares noise draws, not
the clips; at the start (LoRA B = 0) policy and reference are bit-identical, so the loss is log 2
exactly, which the tests check. Multi-process runs (``accelerate launch``) shard each batch and
average gradients; a batch must split evenly across processes so the average equals the
one-process loss.

Memory: only LoRA trains, the reference is the same weights with the adapters off, and
``gradient_checkpointing`` recomputes the denoiser's activations in the backward pass instead of
keeping them; ``mixed_precision: bf16`` runs the forward passes under bf16 autocast. The peak
memory and the seconds per step of every run are in the result (and ``align.json``).
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Callable, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, Field

from synthio.atomic import write_text_atomic
from synthio.checkpoint import load_checkpoint, save_checkpoint
from synthio.device import resolve_device
from synthio.errors import SynthioError
from synthio.progress import console, progress_bar
from synthio.t2a.base import EncodedAudio


class AlignTrainConfig(BaseModel):
    """Training settings of ``synthio align`` (the ``train:`` section of its YAML)."""

    objective: Literal["dpo", "erm"] = "dpo"
    beta: float = Field(2000.0, gt=0, description="DPO temperature (the release's value)")
    winner_loss_weight: float = Field(
        0.0,
        ge=0,
        description="lambda: adds lambda times the winners' own diffusion loss to the DPO loss, as later preference methods for audio diffusion do, so the policy cannot satisfy the preference by only making losers unlikely",
    )
    steps: int = Field(300, ge=1, description="optimiser steps")
    batch_size: int = Field(8, ge=1, description="pairs (DPO) or real clips (ERM) per optimiser step, over all processes")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimiser step")
    learning_rate: float = Field(1e-4, gt=0)
    lora_rank: int = Field(8, ge=1)
    ema_decay: float | None = Field(None, description="export an exponential moving average of the LoRA weights")
    checkpoint_every: int = Field(50, ge=1)
    seed: int = 0
    gradient_checkpointing: bool = Field(False, description="recompute the denoiser's activations in the backward pass: less memory, about a third more time per step")
    mixed_precision: Literal["auto", "no", "bf16"] = Field("auto", description="bf16 autocast of the forward passes; auto: bf16 on CUDA, none on CPU")
    optimizer: Literal["adamw", "adamw-8bit"] = Field("adamw", description="adamw-8bit: bitsandbytes' 8-bit AdamW (pip install bitsandbytes); LoRA's optimizer states are small, so it saves little")

    def added_later(self, device: str) -> dict:
        """Settings an older version's folder may lack while they are set to what came before: no winner anchor, AdamW, fp32 on ``device`` (a named cuda is taken as is, so a dry run plans it on a CPU machine)."""
        before = {"winner_loss_weight": self.winner_loss_weight == 0, "optimizer": self.optimizer == "adamw", "mixed_precision": not uses_bf16(self, torch.device(device if device.startswith("cuda") else resolve_device(device)))}
        return {name: True for name, unchanged in before.items() if unchanged}


def dpo_loss(policy_w: torch.Tensor, policy_l: torch.Tensor, reference_w: torch.Tensor, reference_l: torch.Tensor, beta: float) -> torch.Tensor:
    """Per pair ``-log sigmoid(-beta/2 * ((L_w - R_w) - (L_l - R_l)))`` (Diffusion-DPO, Wallace et al. 2023; Synthio, Ghosh et al. 2025, stages 2-3; docs/pipeline.md)."""
    return -F.logsigmoid(-beta / 2 * ((policy_w - reference_w) - (policy_l - reference_l)))


def implicit_preference(policy_w, policy_l, reference_w, reference_l) -> torch.Tensor:
    """True where the policy prefers the winner more than the reference does."""
    return (policy_w - reference_w) - (policy_l - reference_l) < 0


def pair_draws(seed: int, step: int, size: int, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pair indices, timesteps in (0.02, 0.98) and noises for one step, identical on every process."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return torch.randint(0, 2**31 - 1, (size,), generator=generator), 0.02 + 0.96 * torch.rand(size, generator=generator), torch.randn((size, *shape), generator=generator)


def losses(t2a, winners: EncodedAudio, losers: EncodedAudio, winner_of: list[int], prompts: list[str], pairs: list[int], t, noise, reference: bool = True) -> dict[str, torch.Tensor]:
    """Per-pair diffusion losses of winner and loser under the policy (and the reference), with shared ``t`` and ``noise``."""
    wins = [winner_of[p] for p in pairs]
    texts = [prompts[p] for p in pairs]
    out = {"policy_w": t2a.diffusion_loss(winners.select(wins), texts, t, noise), "policy_l": t2a.diffusion_loss(losers.select(pairs), texts, t, noise)}
    if reference:
        with torch.no_grad(), t2a.reference():
            out["reference_w"] = t2a.diffusion_loss(winners.select(wins), texts, t, noise)
            out["reference_l"] = t2a.diffusion_loss(losers.select(pairs), texts, t, noise)
    return out


@torch.no_grad()
def measure(t2a, winners: EncodedAudio, losers: EncodedAudio, winner_of: list[int], prompts: list[str], beta: float, seed: int, batch_size: int = 32) -> dict[str, float]:
    """DPO loss, implicit accuracy and the winners' diffusion loss over every pair, with fixed draws."""
    count = len(winner_of)
    _, t, noise = pair_draws(seed, -1, count, tuple(losers.latents.shape[1:]))
    totals = {"dpo_loss": 0.0, "implicit_accuracy": 0.0, "diffusion_loss": 0.0}
    for start in range(0, count, batch_size):
        index = list(range(start, min(count, start + batch_size)))
        parts = losses(t2a, winners, losers, winner_of, prompts, index, t[index], noise[index])
        totals["dpo_loss"] += float(dpo_loss(parts["policy_w"], parts["policy_l"], parts["reference_w"], parts["reference_l"], beta).double().sum())
        totals["implicit_accuracy"] += float(implicit_preference(parts["policy_w"], parts["policy_l"], parts["reference_w"], parts["reference_l"]).sum())
        totals["diffusion_loss"] += float(parts["policy_w"].double().sum())
    return {key: value / count for key, value in totals.items()}


def step_loss(t2a, winners: EncodedAudio, losers: EncodedAudio, winner_of: list[int], prompts: list[str], config: AlignTrainConfig, step: int, micro: int, process: int = 0, processes: int = 1) -> torch.Tensor:
    """This process's share of one micro-batch's objective (the mean over processes is the full micro-batch's mean)."""
    size = config.batch_size
    if size % processes:
        raise ValueError(f"batch_size {size} does not split evenly over {processes} processes")
    draw, t, noise = pair_draws(config.seed, step * config.grad_accum + micro, size, tuple(losers.latents.shape[1:]))
    pairs = (draw % len(winner_of)).tolist()
    mine = list(range(process, size, processes))
    pairs, t, noise = [pairs[i] for i in mine], t[mine], noise[mine]
    parts = losses(t2a, winners, losers, winner_of, prompts, pairs, t, noise, reference=config.objective == "dpo")
    if config.objective == "erm":
        return parts["policy_w"].mean()
    return anchored_dpo_loss(parts, config.beta, config.winner_loss_weight)


def anchored_dpo_loss(parts: dict[str, torch.Tensor], beta: float, winner_loss_weight: float) -> torch.Tensor:
    """Winner-anchored DPO: ``mean(dpo_loss) + winner_loss_weight * mean(L_w)`` (plain DPO at weight 0)."""
    loss = dpo_loss(parts["policy_w"], parts["policy_l"], parts["reference_w"], parts["reference_l"], beta).mean()
    return loss + winner_loss_weight * parts["policy_w"].mean() if winner_loss_weight else loss


def make_accelerator():
    """The process's ``Accelerator`` (``accelerate launch`` sets the processes); a long process-group timeout, as the main process generates alone while the others wait."""
    from datetime import timedelta

    from accelerate import Accelerator
    from accelerate.utils import InitProcessGroupKwargs

    return Accelerator(cpu=not torch.cuda.is_available(), kwargs_handlers=[InitProcessGroupKwargs(timeout=timedelta(hours=12))])


def leave_processes() -> None:
    """Wait for every process and destroy the process group (if any) before the command exits: a rank leaving with gloo's threads alive can abort ("terminate called without an active exception")."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def uses_bf16(config: AlignTrainConfig, device: torch.device) -> bool:
    """Whether the forward passes run under bf16 autocast (``auto``: on CUDA only)."""
    return config.mixed_precision == "bf16" or (config.mixed_precision == "auto" and device.type == "cuda")


def make_optimizer(config: AlignTrainConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """AdamW, or bitsandbytes' 8-bit AdamW when configured (and installed)."""
    if config.optimizer == "adamw-8bit":
        try:
            import bitsandbytes
        except ImportError:
            raise SynthioError("train.optimizer: adamw-8bit needs bitsandbytes: pip install bitsandbytes, or set optimizer: adamw") from None
        return bitsandbytes.optim.AdamW8bit(params, lr=config.learning_rate, weight_decay=0.0)
    return torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)


def set_gradient_checkpointing(network: torch.nn.Module, enabled: bool) -> None:
    """Switch activation recomputation of a diffusers denoiser on or off; raise if it has none."""
    if not enabled and not getattr(network, "gradient_checkpointing", False):
        return
    if not getattr(network, "_supports_gradient_checkpointing", False):
        raise SynthioError(f"{type(network).__name__} does not support gradient checkpointing; set train.gradient_checkpointing: false")
    network.enable_gradient_checkpointing() if enabled else network.disable_gradient_checkpointing()


def peak_memory(device: torch.device) -> tuple[float, str]:
    """Peak memory in MiB and what it measures: CUDA's allocator peak since the last reset, or the process's peak resident set on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "torch.cuda.max_memory_allocated over the training steps"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak resident set size of the whole process so far (getrusage; CPU)"


def train_alignment(
    t2a,
    winners: EncodedAudio,
    losers: EncodedAudio,
    winner_of: list[int],
    prompts: list[str],
    config: AlignTrainConfig,
    out: str | Path,
    accelerator=None,
    validate: Callable[[int], float | None] | None = None,
    validate_every: int = 0,
) -> dict:
    """Add LoRA to ``t2a`` and train it (resuming from ``OUT/checkpoint.pt``); returns measured losses, steps, seconds and peak memory.

    With ``validate`` (step -> validation FD, None on processes that do not measure), it is called at step 0, every
    ``validate_every`` steps and at the end on the exported weights; ``t2a`` then keeps the weights of the lowest FD
    (ties: the earlier step), and the curve and chosen step are in the result's ``validation``.
    """
    if validate is not None and validate_every < 1:
        raise ValueError(f"validate_every must be >= 1 with a validator, got {validate_every}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    accelerator = accelerator or make_accelerator()
    torch.manual_seed(config.seed)
    params = t2a.add_lora(rank=config.lora_rank)
    optimizer = make_optimizer(config, params)
    device = params[0].device
    bf16 = uses_bf16(config, device)
    ema = [p.detach().clone() for p in params] if config.ema_decay else None
    before = measure(t2a, winners, losers, winner_of, prompts, config.beta, config.seed)
    start, history, seconds = 0, [], 0.0
    curve: list[list] = []
    best: dict = {"step": None, "fd": None, "lora": None}
    checkpoint = out / "checkpoint.pt"
    state = load_checkpoint(checkpoint)
    if state is not None:
        with torch.no_grad():
            for p, saved in zip(params, state["lora"]):
                p.copy_(saved)
            if ema is not None and state.get("ema") is not None:
                for e, saved in zip(ema, state["ema"]):
                    e.copy_(saved)
        optimizer.load_state_dict(state["optimizer"])
        start, history, seconds = int(state["step"]), list(state["history"]), float(state["seconds"])
        curve = [list(point) for point in state.get("validation", [])]
        best = dict(state.get("best") or best)
        console.print(f"resuming alignment after step {start}")

    def save(step: int) -> None:
        if accelerator.is_main_process:
            state = {"lora": [p.detach() for p in params], "ema": ema, "optimizer": optimizer.state_dict(), "step": step, "history": history, "seconds": seconds}
            save_checkpoint(checkpoint, {**state, "validation": curve, "best": best})

    def check(step: int) -> None:
        if validate is None or any(point[0] == step for point in curve):
            return
        exported = ema if ema is not None else params
        kept = [p.detach().clone() for p in params]
        with torch.no_grad():
            for p, e in zip(params, exported):
                p.copy_(e)
        set_gradient_checkpointing(t2a.network, False)
        fd = validate(step)
        set_gradient_checkpointing(t2a.network, config.gradient_checkpointing)
        with torch.no_grad():
            for p, k in zip(params, kept):
                p.copy_(k)
        curve.append([step, None if fd is None else float(fd)])
        if fd is not None and (best["fd"] is None or fd < best["fd"]):
            best.update(step=step, fd=float(fd), lora=[e.detach().clone() for e in exported])

    set_gradient_checkpointing(t2a.network, config.gradient_checkpointing)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    started = loop_started = time.time()
    check(0)
    with progress_bar() as progress:
        task = progress.add_task(f"align ({config.objective})", total=config.steps, completed=start, status="")
        for step in range(start, config.steps):
            optimizer.zero_grad(set_to_none=True)
            total = 0.0
            for micro in range(config.grad_accum):
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    loss = step_loss(t2a, winners, losers, winner_of, prompts, config, step, micro, accelerator.process_index, accelerator.num_processes) / config.grad_accum
                loss.backward()
                total += float(accelerator.reduce(loss.detach(), "mean")) if accelerator.num_processes > 1 else float(loss.detach())
            if accelerator.num_processes > 1:
                for p in params:
                    p.grad = accelerator.reduce(p.grad if p.grad is not None else torch.zeros_like(p), "mean")
            optimizer.step()
            if ema is not None:
                with torch.no_grad():
                    for e, p in zip(ema, params):
                        e.lerp_(p.detach(), 1 - config.ema_decay)
            history.append(total)
            progress.update(task, advance=1, status=f"loss {sum(history[-20:]) / len(history[-20:]):.4f}")
            if validate is not None and ((step + 1) % validate_every == 0 or step + 1 == config.steps):
                check(step + 1)
            if (step + 1) % config.checkpoint_every == 0:
                seconds += time.time() - started
                started = time.time()
                save(step + 1)
    check(config.steps)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds += time.time() - started
    trained = config.steps - start
    seconds_per_step = (time.time() - loop_started) / trained if trained else None
    memory, memory_source = peak_memory(device)
    set_gradient_checkpointing(t2a.network, False)
    if ema is not None:
        with torch.no_grad():
            for p, e in zip(params, ema):
                p.copy_(e)
    after = measure(t2a, winners, losers, winner_of, prompts, config.beta, config.seed)
    key = "dpo_loss" if config.objective == "dpo" else "diffusion_loss"
    result = {
        "objective": config.objective,
        "initial_loss": before[key],
        "final_loss": after[key],
        "implicit_accuracy": after["implicit_accuracy"],
        "before": before,
        "after": after,
        "steps": config.steps,
        "train_seconds": round(seconds, 1),
        "seconds_per_step": seconds_per_step,
        "peak_memory_mib": round(memory, 1),
        "peak_memory_source": memory_source,
        "gradient_checkpointing": config.gradient_checkpointing,
        "mixed_precision": "bf16" if bf16 else "no",
        "optimizer": config.optimizer,
        "lora_parameters": sum(p.numel() for p in params),
        "processes": accelerator.num_processes,
        "loss_curve": history,
    }
    save(config.steps)
    if validate is not None:
        result["validation"] = {"every": validate_every, "curve": curve, "best_step": best["step"], "best_fd": best["fd"], "final_fd": curve[-1][1] if curve else None}
        if best["lora"] is not None:
            with torch.no_grad():
                for p, saved in zip(params, best["lora"]):
                    p.copy_(saved)
            result["validation"]["chosen"] = measure(t2a, winners, losers, winner_of, prompts, config.beta, config.seed)
    if accelerator.is_main_process:
        write_text_atomic(out / "train.json", json.dumps(result, indent=2))
    return result
