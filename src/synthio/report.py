"""``summary.md`` (mean ± std per method and n, laid out like the paper's Table 1) and ``summary.png``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np


def aggregate(runs: list[dict], metric: str) -> dict[str, dict[int, tuple[float, float, int]]]:
    """``{method: {n: (mean, std, num_seeds)}}`` of ``metric`` in percent; std is the sample std (ddof=1)."""
    values: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        values[run["method"]][run["n"]].append(100.0 * run[metric])
    return {
        method: {n: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v)) for n, v in sorted(by_n.items())}
        for method, by_n in values.items()
    }


def _method_order(runs: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs:
        seen.setdefault(run["method"], None)
    return list(seen)


def markdown_table(runs: list[dict], metric: str) -> str:
    """One row per method, one column per n; the best mean of each column in bold."""
    table = aggregate(runs, metric)
    ns = sorted({run["n"] for run in runs})
    best = {n: max((table[m][n][0] for m in table if n in table[m]), default=None) for n in ns}
    lines = ["| method | " + " | ".join(f"n={n}" for n in ns) + " |", "|---|" + "---|" * len(ns)]
    for method in _method_order(runs):
        cells = []
        for n in ns:
            if n not in table[method]:
                cells.append("–")
                continue
            mean, std, count = table[method][n]
            cell = f"{mean:.2f} ± {std:.2f}" + ("" if count > 1 else " (1 seed)")
            cells.append(f"**{cell}**" if mean == best[n] else cell)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_markdown(results: dict) -> str:
    runs = results["runs"]
    config, data = results["config"], results["data"]
    seeds = sorted({r["seed"] for r in runs})
    total = sum(r["seconds"] for r in runs)
    lines = [
        f"# Evaluation of {config['data_dir']}",
        "",
        f"- train pool: {', '.join(config['train_where']) or 'all rows'} ({data['train_pool_clips']} clips, {len(data['labels'])} classes); "
        f"test: {', '.join(config['test_where']) or 'all rows'} ({data['test_clips']} clips)",
        f"- classifier: {config['classifier']}, {config['steps']} steps of batch {config['batch_size']}, clips fitted to {data['seconds']} s; "
        f"waveform methods add {config['copies']} copies per clip; seeds {', '.join(map(str, seeds))}",
        f"- {len(runs)} runs, {total:.0f} s of training and testing in all ({total / max(1, len(runs)):.1f} s per run)",
    ]
    if data.get("skipped"):
        lines.append(f"- {len(data['skipped'])} row(s) skipped: " + "; ".join(data["skipped"]))
    lines += ["", "## Accuracy (%), mean ± std over seeds", "", markdown_table(runs, "accuracy")]
    lines += ["", "## Macro-F1 (%), mean ± std over seeds", "", markdown_table(runs, "macro_f1"), ""]
    return "\n".join(lines)


def plot_summary(results: dict, path: Path) -> None:
    """Accuracy vs n per method, error bars = std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    table = aggregate(runs, "accuracy")
    fig, ax = plt.subplots(figsize=(6.5, 4.2), dpi=120)
    methods = _method_order(runs)
    ns_all = sorted({r["n"] for r in runs})
    offsets = np.linspace(-0.015, 0.015, len(methods)) if len(methods) > 1 else [0.0]
    for method, offset in zip(methods, offsets):
        ns = sorted(table[method])
        means = [table[method][n][0] for n in ns]
        stds = [table[method][n][1] for n in ns]
        xs = [n * (1 + offset) for n in ns]
        ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=method)
    ax.set_xscale("log")
    ax.set_xticks(ns_all, [str(n) for n in ns_all])
    ax.minorticks_off()
    ax.set_xlabel("few-shot size n (clips)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{Path(results['config']['data_dir']).name}: accuracy vs n")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_summary(results: dict, out: Path) -> None:
    out = Path(out)
    (out / "summary.md").write_text(summary_markdown(results))
    plot_summary(results, out / "summary.png")
