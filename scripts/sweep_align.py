"""Sweep ``synthio align`` over DPO beta, the winner-loss weight and seeds, with the validation FD on; print and write a table.

Each setting runs in ``OUT/beta{B}_w{W}_seed{S}/`` (rerun to resume; finished runs are read back), and
``OUT/sweep.md`` / ``OUT/sweep.json`` hold the table: final DPO loss and implicit accuracy (of the last
step), validation FD at its best step and at the last step, FD before / after on the few-shot winners
(after: the kept adapter), then the mean over seeds per setting.

Usage: python scripts/sweep_align.py DATA --where fold=3 --n 50 --seeds 0,1,2 --betas 500,1000,2000,5000 --winner-loss-weights 0,1 --out runs/sweep
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import mean

from synthio.align.run import AlignConfig, align_dataset
from synthio.atomic import write_text_atomic
from synthio.config import load_config


def numbers(text: str, kind=float) -> list:
    return [kind(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--where", action="append", default=[], help="COLUMN=VALUE filter of the train pool (repeatable)")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--betas", default="500,1000,2000,5000")
    parser.add_argument("--winner-loss-weights", default="0,1")
    parser.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the config's)")
    parser.add_argument("--validation-clips", type=int, default=10)
    parser.add_argument("--validate-every", type=int, default=50)
    parser.add_argument("--config", type=Path, default=None, help="an align YAML for the backends and other settings")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def run_setting(args: argparse.Namespace, beta: float, weight: float, seed: int) -> dict:
    """One ``synthio align`` run (resumed or read back if it exists)."""
    base = load_config(AlignConfig, args.config, dict(data_dir=args.data_dir, out=args.out))
    train = {**base.train.model_dump(), "objective": "dpo", "beta": beta, "winner_loss_weight": weight, "seed": seed}
    if args.steps is not None:
        train["steps"] = args.steps
    overrides = dict(data_dir=args.data_dir, where=args.where, n=args.n, seed=seed, out=args.out / f"beta{beta:g}_w{weight:g}_seed{seed}", validation_clips=args.validation_clips, validate_every=args.validate_every, train=train)
    return align_dataset(load_config(AlignConfig, args.config, overrides))


def row(beta: float, weight: float, seed: int, summary: dict) -> dict:
    validation = summary.get("validation") or {}
    return {
        "beta": beta,
        "winner_loss_weight": weight,
        "seed": seed,
        "final_dpo_loss": summary["final_loss"],
        "implicit_accuracy": summary["implicit_accuracy"],
        "validation_fd_best": validation.get("best_fd"),
        "best_step": validation.get("best_step"),
        "validation_fd_final": validation.get("final_fd"),
        "fd_before": summary["fd_before"],
        "fd_after": summary["fd_after"],
    }


def table(rows: list[dict]) -> str:
    lines = ["| beta | winner weight | seed | final DPO loss | implicit acc. | val. FD best (step) | val. FD final | FD before | FD after | change |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        change = (r["fd_after"] - r["fd_before"]) / r["fd_before"]
        setting = f"| {r['beta']:g} | {r['winner_loss_weight']:g} | {r['seed']} | {r['final_dpo_loss']:.4f} | {r['implicit_accuracy']:.3f} "
        lines.append(setting + f"| {r['validation_fd_best']:.4f} ({r['best_step']}) | {r['validation_fd_final']:.4f} | {r['fd_before']:.4f} | {r['fd_after']:.4f} | {change:+.1%} |")
    lines += ["", "| beta | winner weight | seeds | mean val. FD best | mean val. FD final | mean FD before | mean FD after |", "|---|---|---|---|---|---|---|"]
    settings = sorted({(r["beta"], r["winner_loss_weight"]) for r in rows})
    for beta, weight in settings:
        group = [r for r in rows if (r["beta"], r["winner_loss_weight"]) == (beta, weight)]
        means = [mean(r[key] for r in group) for key in ("validation_fd_best", "validation_fd_final", "fd_before", "fd_after")]
        lines.append(f"| {beta:g} | {weight:g} | {len(group)} | " + " | ".join(f"{m:.4f}" for m in means) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    if args.validation_clips < 2:
        raise SystemExit("--validation-clips must be at least 2: the sweep compares settings by the validation FD")
    rows = []
    for weight in numbers(args.winner_loss_weights):
        for beta in numbers(args.betas):
            for seed in numbers(args.seeds, int):
                rows.append(row(beta, weight, seed, run_setting(args, beta, weight, seed)))
    text = table(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "sweep.md", text)
    write_text_atomic(args.out / "sweep.json", json.dumps(rows, indent=2))
    print(text)
    return rows


if __name__ == "__main__":
    main()
