"""``summary.md`` (mean ± std per method and n, laid out like the paper's Table 1, then 95 % intervals and paired differences) and ``summary.png``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from synthio.stats import Interval, mean_interval, paired_bootstrap, paired_t_interval


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


def classic_methods(runs: list[dict]) -> list[str]:
    """The classic augmentation methods among ``runs`` (gold excluded: it is the reference)."""
    from synthio.train.classic import CLASSIC_METHODS

    return [m for m in _method_order(runs) if m in CLASSIC_METHODS and m != "gold"]


METRIC_NAMES = {"accuracy": "accuracy", "map": "mAP"}
METRIC_TITLES = {"accuracy": "Accuracy", "map": "mAP"}


def headline_metric(results: dict) -> str:
    """What the intervals and the plot compare: accuracy, or mAP for multi-label data."""
    return "map" if results["data"].get("multi_label") else "accuracy"


def best_classic(runs: list[dict], n: int, metric: str = "accuracy") -> str | None:
    """The classic method with the highest mean ``metric`` at ``n`` (None without one)."""
    table = aggregate(runs, metric)
    candidates = [m for m in classic_methods(runs) if n in table[m]]
    return max(candidates, key=lambda m: table[m][n][0]) if candidates else None


def paired_difference(runs: list[dict], a: str, b: str, n: int, test_labels: list[int] | None, metric: str = "accuracy") -> Interval | None:
    """Mean paired difference ``a − b`` in points over the seeds both ran at ``n``, with its 95 % bootstrap interval (``synthio.stats``); None without a shared seed.

    Accuracy with stored test predictions: the two-level bootstrap; anything else: a paired t interval over seeds (none for one seed).
    """
    by_seed = {(r["method"], r["seed"]): r for r in runs if r["n"] == n}
    seeds = sorted({s for m, s in by_seed if m == a} & {s for m, s in by_seed if m == b})
    if a == b or not seeds:
        return None
    pairs = [(by_seed[a, s], by_seed[b, s]) for s in seeds]
    if metric == "accuracy" and test_labels is not None and all("predictions" in x and "predictions" in y for x, y in pairs):
        labels = np.asarray(test_labels)
        interval = paired_bootstrap([np.asarray(x["predictions"]) == labels for x, _ in pairs], [np.asarray(y["predictions"]) == labels for _, y in pairs])
    else:
        interval = paired_t_interval([x[metric] for x, _ in pairs], [y[metric] for _, y in pairs])
    return interval.scaled(100.0)


def interval_cell(interval: Interval | None, signed: bool = False) -> str:
    """``12.34 [10.1, 14.6]`` (``+`` signs for differences; ``*`` when a difference's interval excludes 0)."""
    if interval is None:
        return "–"
    number = "{:+.2f}" if signed else "{:.2f}"
    if np.isnan(interval.low):
        return number.format(interval.estimate) + " (1 seed)"
    cell = f"{number.format(interval.estimate)} [{number.format(interval.low)}, {number.format(interval.high)}]"
    return cell + (" *" if signed and interval.excludes_zero else "")


def comparison_rows(results: dict, n: int) -> list[dict]:
    """Per method at ``n``: the headline metric's mean with its t interval (``value``), and the paired differences to gold and to the best classic method."""
    runs = results["runs"]
    metric = headline_metric(results)
    test_labels = results["data"].get("test_labels")
    best = best_classic(runs, n, metric)
    rows = []
    for method in _method_order(runs):
        values = [100.0 * r[metric] for r in runs if r["method"] == method and r["n"] == n]
        if not values:
            continue
        rows.append({
            "method": method,
            "value": mean_interval(values),
            "vs_gold": paired_difference(runs, method, "gold", n, test_labels, metric),
            "vs_best_classic": paired_difference(runs, method, best, n, test_labels, metric) if best else None,
            "best_classic": best,
        })
    return rows


def comparison_table(results: dict, n: int) -> str:
    """Markdown: the headline metric with 95 % intervals and the paired differences (``*``: the interval excludes 0)."""
    rows = comparison_rows(results, n)
    best = rows[0]["best_classic"] if rows else None
    name = METRIC_NAMES[headline_metric(results)]
    lines = [f"| method | {name} % [95 % CI] | vs gold, paired [95 % CI] | vs best classic ({best or 'none'}), paired [95 % CI] | seeds |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['method']} | {interval_cell(row['value'])} | {interval_cell(row['vs_gold'], True)} | {interval_cell(row['vs_best_classic'], True)} | {row['value'].count} |")
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
    gated = [r for r in runs if "gate" in r]
    if gated:
        dropped = sorted((r["method"], r["n"], r["seed"]) for r in gated if r["gate"] == "real-only")
        shown = "; ".join(f"{m} n={n} seed {s}" for m, n, s in dropped) or "none"
        lines.append(f"- synthetic gate (validation): generated rows dropped in {len(dropped)} of {len(gated)} runs, which are the real-only run: {shown}")
    lines += ["", "## Accuracy (%), mean ± std over seeds", "", markdown_table(runs, "accuracy")]
    lines += ["", "## Macro-F1 (%), mean ± std over seeds", "", markdown_table(runs, "macro_f1"), ""]
    if runs and all("map" in r for r in runs):  # multi-label: accuracy above is subset accuracy; F1 at the threshold chosen on validation
        lines += ["Multi-label data: accuracy above is subset accuracy (every label of a clip right); F1 scores use the threshold with the best validation micro-F1.", ""]
        lines += ["## mAP (%), macro over labels, mean ± std over seeds", "", markdown_table(runs, "map"), ""]
        lines += ["## Micro-F1 (%), mean ± std over seeds", "", markdown_table(runs, "micro_f1"), ""]
    lines += [
        f"## {METRIC_TITLES[headline_metric(results)]} with 95 % intervals and paired differences",
        "",
        "Mean over seeds with a Student-t interval. Differences: the same seeds (splits) and test clips for both methods, "
        "mean difference in points; for accuracy a percentile bootstrap over seeds and test clips (2,000 resamples, one draw of the clips per replicate), "
        "otherwise a paired t interval over seeds; `*` marks an interval that excludes 0. With one seed the bootstrap covers test-clip noise only.",
    ]
    for n in sorted({r["n"] for r in runs}):
        lines += ["", f"### n = {n}", "", comparison_table(results, n)]
    lines.append("")
    return "\n".join(lines)


def plot_summary(results: dict, path: Path) -> None:
    """Accuracy vs n per method, error bars = std over seeds; with a single n, a bar chart with 95 % t intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    table = aggregate(runs, "accuracy")
    methods = _method_order(runs)
    ns_all = sorted({r["n"] for r in runs})
    if len(ns_all) == 1:
        plot_bars(results, ns_all[0], path)
        return
    fig, ax = plt.subplots(figsize=(6.5, 4.2), dpi=120)
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


def plot_bars(results: dict, n: int, path: Path) -> None:
    """One bar per method at ``n``: mean accuracy with its 95 % t interval, gold's mean as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = comparison_rows(results, n)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.7 * len(rows) + 1.5), 4.2), dpi=120)
    means = [row["value"].estimate for row in rows]
    errors = [[0.0 if np.isnan(row["value"].low) else row["value"].estimate - row["value"].low for row in rows], [0.0 if np.isnan(row["value"].high) else row["value"].high - row["value"].estimate for row in rows]]
    ax.bar(range(len(rows)), means, yerr=errors, capsize=3, color=["#888" if row["method"] == "gold" else "#4c72b0" for row in rows])
    for row in rows:
        if row["method"] == "gold":
            ax.axhline(row["value"].estimate, color="#888", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(rows)), [row["method"] for row in rows], rotation=30, ha="right")
    ax.set_ylabel(f"test {METRIC_NAMES[headline_metric(results)]} (%), 95 % interval")
    ax.set_title(f"{Path(results['config']['data_dir']).name}: n = {n}")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_summary(results: dict, out: Path) -> None:
    out = Path(out)
    (out / "summary.md").write_text(summary_markdown(results))
    plot_summary(results, out / "summary.png")
