"""The evaluate report (``OUT/report/index.html``): the results with 95 % intervals and paired differences, the accuracy plot, per-class accuracy and confusion matrices.

One static page plus ``accuracy.png``, opened from disk. Everything on it is computed from
``results.json``; per-class figures need the test predictions that runs store since they were
added (older runs are left out of those sections, with a note).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synthio.atomic import write_text_atomic
from synthio.listening import STYLE, e
from synthio.report import METRIC_NAMES, METRIC_TITLES, best_classic, comparison_rows, headline_metric, interval_cell, plot_summary


def write_evaluation_report(results: dict, out: str | Path) -> Path:
    """Write ``OUT/report/index.html`` and ``OUT/report/accuracy.png``; return the page's path."""
    folder = Path(out) / "report"
    folder.mkdir(parents=True, exist_ok=True)
    plot_summary(results, folder / "accuracy.png")
    page = folder / "index.html"
    write_text_atomic(page, render_page(results))
    return page


def predicted_runs(results: dict, n: int) -> dict[str, list[np.ndarray]]:
    """``{method: [predictions per seed]}`` at ``n`` for runs that stored single-label predictions."""
    by_method: dict[str, list[np.ndarray]] = {}
    for run in results["runs"]:
        if run["n"] == n and isinstance(run.get("predictions"), list) and all(isinstance(p, int) for p in run["predictions"][:1]):
            by_method.setdefault(run["method"], []).append(np.asarray(run["predictions"]))
    return by_method


def confusion(labels: np.ndarray, predictions: list[np.ndarray], num_classes: int) -> np.ndarray:
    """Counts summed over seeds: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    for p in predictions:
        np.add.at(matrix, (labels, p), 1)
    return matrix


def chosen_methods(results: dict, n: int, available: list[str]) -> list[str]:
    """Gold, the best classic method and the best method overall at ``n`` (those with predictions)."""
    means = {row["method"]: row["value"].estimate for row in comparison_rows(results, n) if row["method"] in available}
    picks = ["gold", best_classic(results["runs"], n), max(means, key=means.get) if means else None]
    return list(dict.fromkeys(m for m in picks if m in means))


def render_page(results: dict) -> str:
    config, data, runs = results["config"], results["data"], results["runs"]
    ns = sorted({r["n"] for r in runs})
    labels = data["labels"]
    name = Path(config["data_dir"]).name
    seeds = sorted({r["seed"] for r in runs})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Synthio evaluation: {e(name)}</title><style>{STYLE}.sig{{background:#e6f4ea}}.neg{{background:#fde7e9}}</style></head><body>",
        f"<h1>Synthio evaluation: {e(name)}</h1>",
        f'<p class="small">train pool: {e(", ".join(config["train_where"]) or "all rows")} ({e(data["train_pool_clips"])} clips, {len(labels)} classes); '
        f'test: {e(", ".join(config["test_where"]) or "all rows")} ({e(data["test_clips"])} clips); classifier {e(config["classifier"])}, {e(config["steps"])} steps; '
        f"seeds {e(', '.join(map(str, seeds)))}; {len(runs)} runs.</p>",
        '<p><img src="accuracy.png" alt="accuracy by method" style="max-width:100%"></p>',
        f"<p class=\"small\">{METRIC_TITLES[headline_metric(results)]}: mean over seeds with a 95 % Student-t interval. Differences: paired (same seeds, same splits, same test clips), "
        "mean difference in points with a 95 % interval (accuracy: a bootstrap over seeds and test clips; otherwise a t interval over seeds); green: the interval is above 0, red: below 0.</p>",
    ]
    test_labels = np.asarray(data["test_labels"]) if "test_labels" in data and not data.get("multi_label") else None
    for n in ns:
        parts += [f"<h2 id=\"n-{n}\">n = {n}</h2>", results_table(results, n)]
        predicted = predicted_runs(results, n) if test_labels is not None else {}
        missing = sorted({r["method"] for r in runs if r["n"] == n} - set(predicted))
        if data.get("multi_label"):
            parts.append('<p class="small">Multi-label data: per-label figures are in results.json (mAP, micro/macro-F1); no confusion matrix.</p>')
        elif missing:
            parts.append(f'<p class="small">No stored test predictions for {e(", ".join(missing))} (runs made before predictions were stored): left out of the per-class figures.</p>')
        if predicted:
            parts += per_class_section(labels, test_labels, predicted)
            for method in chosen_methods(results, n, list(predicted)):
                parts += confusion_section(method, labels, test_labels, predicted[method])
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def results_table(results: dict, n: int) -> str:
    rows = comparison_rows(results, n)
    best = rows[0]["best_classic"] if rows else None
    lines = [
        f'<table class="results"><thead><tr><th>method</th><th>{METRIC_NAMES[headline_metric(results)]} % [95 % CI]</th><th>vs gold, paired</th><th>vs best classic ({e(best or "none")}), paired</th><th>seeds</th></tr></thead><tbody>'
    ]
    for row in rows:
        cells = [f"<td>{e(row['method'])}</td>", f'<td class="num">{e(interval_cell(row["value"]))}</td>']
        for key in ("vs_gold", "vs_best_classic"):
            interval = row[key]
            mark = "" if interval is None or not interval.excludes_zero else (" sig" if interval.estimate > 0 else " neg")
            cells.append(f'<td class="num{mark}">{e(interval_cell(interval, signed=True))}</td>')
        cells.append(f'<td class="num">{row["value"].count}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def per_class_section(labels: list[str], test_labels: np.ndarray, predicted: dict[str, list[np.ndarray]]) -> list[str]:
    """Per-class accuracy (%) of every method, pooled over its seeds."""
    head = "".join(f"<th>{e(label)}</th>" for label in labels)
    lines = ["<h3>Per-class accuracy (%), pooled over seeds</h3>", f'<table class="per-class"><thead><tr><th>method</th>{head}</tr></thead><tbody>']
    for method, predictions in predicted.items():
        cells = []
        for c in range(len(labels)):
            mask = test_labels == c
            share = np.mean([np.mean(p[mask] == c) for p in predictions]) if mask.any() else float("nan")
            cells.append(f'<td class="num">{"–" if np.isnan(share) else f"{100 * share:.1f}"}</td>')
        lines.append(f"<tr><td>{e(method)}</td>{''.join(cells)}</tr>")
    lines.append("</tbody></table>")
    return lines


def confusion_section(method: str, labels: list[str], test_labels: np.ndarray, predictions: list[np.ndarray]) -> list[str]:
    """The confusion matrix of one method, summed over seeds, cells shaded by their share of the row."""
    matrix = confusion(test_labels, predictions, len(labels))
    head = "".join(f'<th title="{e(label)}">{e(label[:10])}</th>' for label in labels)
    lines = [f"<h3>Confusion matrix: {e(method)} ({len(predictions)} seed(s) summed; rows: true class, columns: predicted)</h3>", f'<table class="confusion"><thead><tr><th></th>{head}</tr></thead><tbody>']
    for i, label in enumerate(labels):
        total = max(1, matrix[i].sum())
        cells = "".join(f'<td class="num" style="background:rgba(76,114,176,{matrix[i, j] / total:.2f})">{matrix[i, j]}</td>' for j in range(len(labels)))
        lines.append(f"<tr><th>{e(label)}</th>{cells}</tr>")
    lines.append("</tbody></table>")
    return lines
