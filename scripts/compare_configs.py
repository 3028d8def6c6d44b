"""Paired difference of one method between two configurations: `synthio evaluate` runs that differ only in --augment-config (or, with --vary, --synthetic-schedule or --synthetic-gate).

Each side is one or more results.json (seeds run apart) sharing every evaluate setting but out, n,
seeds, methods and retrieval_pool. The two sides must share all of those but the varied ones
(`--vary`, default augment_config) and the test clips; only the seeds both sides ran are paired.
A setting missing from an older results.json (made before the option existed) reads as its default.
Prints accuracy per seed for both sides and the mean difference B − A in points with the
two-level paired bootstrap interval of the evaluation summary (``synthio.report.paired_difference``).
With --baseline (a method the varied settings do not touch, e.g. gold, run on either side), also
each side's paired difference to it, over the seeds that side shares with the baseline.

Usage: python scripts/compare_configs.py --a runs/default/results.json --b runs/beta200/results.json [--method synthio] [--n 50] [--baseline gold]
       python scripts/compare_configs.py --a runs/mix/results.json --b runs/pretrain/results.json --vary synthetic_schedule --baseline gold
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthio.errors import SynthioError
from synthio.evaluation import EvaluateConfig
from synthio.report import interval_cell, paired_difference

FREE_SETTINGS = ("out", "n", "methods", "seeds", "retrieval_pool")
VARIABLE_SETTINGS = ("augment_config", "synthetic_schedule", "synthetic_gate")


def load_side(paths: list[Path], method: str, n: int, side: str) -> tuple[dict, dict[int, dict]]:
    """The side's settings (config without FREE_SETTINGS, plus the test labels) and ``method``'s runs at ``n`` by seed, from one side's results files."""
    defaults = EvaluateConfig(data_dir=Path("."), out=Path(".")).model_dump(mode="json")
    settings, runs = None, {}
    for path in paths:
        results = json.loads(path.read_text())
        here = {k: v for k, v in (defaults | results["config"]).items() if k not in FREE_SETTINGS} | {"test_labels": results["data"].get("test_labels")}
        if settings is not None and here != settings:
            raise SynthioError(f"{path}: its settings differ from the other files of side {side}: {sorted(k for k in here if here[k] != settings.get(k))}")
        settings = here
        for run in results["runs"]:
            if run["method"] == method and run["n"] == n:
                if run["seed"] in runs:
                    raise SynthioError(f"{path}: {method} n={n} seed {run['seed']} appears twice on side {side}")
                runs[run["seed"]] = run
    return settings, runs


def mean_accuracy(runs: dict[int, dict], seeds: list[int]) -> float:
    """Mean accuracy in % of ``runs`` over ``seeds``."""
    return sum(100.0 * runs[s]["accuracy"] for s in seeds) / len(seeds)


def baseline_runs(a_paths: list[Path], b_paths: list[Path], baseline: str, n: int) -> dict[int, dict]:
    """``baseline``'s runs at ``n`` by seed from both sides; a seed run on both must have the same predictions."""
    _, a_runs = load_side(a_paths, baseline, n, "A")
    _, b_runs = load_side(b_paths, baseline, n, "B")
    for seed in set(a_runs) & set(b_runs):
        if a_runs[seed].get("predictions") != b_runs[seed].get("predictions"):
            raise SynthioError(f"{baseline} n={n} seed {seed} ran on both sides with different predictions: it is not independent of the varied settings here; keep it on one side")
    return a_runs | b_runs


def compare(a_paths: list[Path], b_paths: list[Path], method: str, n: int, baseline: str | None = None, vary: tuple[str, ...] = ("augment_config",)) -> str:
    """Markdown: ``method``'s accuracy per shared seed on sides A and B and the paired difference B − A (and each side's to ``baseline``)."""
    unknown = sorted(set(vary) - set(VARIABLE_SETTINGS))
    if unknown:
        raise SynthioError(f"cannot vary {unknown}: choose from {list(VARIABLE_SETTINGS)}")
    a_settings, a_runs = load_side(a_paths, method, n, "A")
    b_settings, b_runs = load_side(b_paths, method, n, "B")
    differing = sorted(k for k in a_settings.keys() | b_settings.keys() if k not in vary and a_settings.get(k) != b_settings.get(k))
    if differing:
        raise SynthioError(f"the two sides differ in more than {', '.join(vary)}: {differing}")
    seeds = sorted(set(a_runs) & set(b_runs))
    if not seeds:
        raise SynthioError(f"no seed has {method} at n={n} on both sides (A: {sorted(a_runs)}, B: {sorted(b_runs)})")
    runs = [{**a_runs[s], "method": "A"} for s in seeds] + [{**b_runs[s], "method": "B"} for s in seeds]
    difference = paired_difference(runs, "B", "A", n, a_settings["test_labels"])
    lines = ["| seed | A accuracy % | B accuracy % | B − A |", "|---|---|---|---|"]
    for s in seeds:
        a, b = 100.0 * a_runs[s]["accuracy"], 100.0 * b_runs[s]["accuracy"]
        lines.append(f"| {s} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    lines.append(f"| mean | {mean_accuracy(a_runs, seeds):.2f} | {mean_accuracy(b_runs, seeds):.2f} | {interval_cell(difference, True)} |")
    if baseline is not None:
        reference = baseline_runs(a_paths, b_paths, baseline, n)
        lines += ["", f"| side | {baseline} accuracy % | {method} accuracy % | {method} − {baseline} | seeds |", "|---|---|---|---|---|"]
        for side, side_runs in (("A", a_runs), ("B", b_runs)):
            shared = sorted(set(side_runs) & set(reference))
            if not shared:
                raise SynthioError(f"no seed has {baseline} and side {side}'s {method} at n={n} ({baseline}: {sorted(reference)}, {side}: {sorted(side_runs)})")
            paired = [{**side_runs[s], "method": side} for s in shared] + [{**reference[s], "method": baseline} for s in shared]
            cell = interval_cell(paired_difference(paired, side, baseline, n, a_settings["test_labels"]), True)
            lines.append(f"| {side} | {mean_accuracy(reference, shared):.2f} | {mean_accuracy(side_runs, shared):.2f} | {cell} | {', '.join(map(str, shared))} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, nargs="+", required=True, help="results.json of configuration A (the reference)")
    parser.add_argument("--b", type=Path, nargs="+", required=True, help="results.json of configuration B")
    parser.add_argument("--method", default="synthio", help="the method compared (default synthio)")
    parser.add_argument("--n", type=int, default=50, help="real clips per split (default 50)")
    parser.add_argument("--baseline", help="also each side's paired difference to this method (one the varied settings do not change, e.g. gold)")
    parser.add_argument("--vary", nargs="+", default=["augment_config"], choices=VARIABLE_SETTINGS, help="the settings the two sides may differ in (default augment_config)")
    args = parser.parse_args()
    try:
        print(compare(args.a, args.b, args.method, args.n, args.baseline, tuple(args.vary)))
    except SynthioError as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
