import numpy as np
import pytest

from synthio.report import aggregate, markdown_table

RUNS = [
    {"method": "gold", "n": 50, "seed": 0, "accuracy": 0.5, "macro_f1": 0.4},
    {"method": "gold", "n": 50, "seed": 1, "accuracy": 0.7, "macro_f1": 0.6},
    {"method": "noise", "n": 50, "seed": 0, "accuracy": 0.65, "macro_f1": 0.6},
    {"method": "noise", "n": 50, "seed": 1, "accuracy": 0.65, "macro_f1": 0.6},
    {"method": "noise", "n": 100, "seed": 0, "accuracy": 0.8, "macro_f1": 0.8},
]


def test_aggregate_mean_and_sample_std():
    table = aggregate(RUNS, "accuracy")
    mean, std, count = table["gold"][50]
    assert mean == pytest.approx(60.0) and std == pytest.approx(14.1421356) and count == 2
    assert table["noise"][100] == (80.0, 0.0, 1)


def test_markdown_table_layout_and_bold_best():
    lines = markdown_table(RUNS, "accuracy").splitlines()
    assert lines[0] == "| method | n=50 | n=100 |"
    assert lines[2] == "| gold | 60.00 ± 14.14 | – |"
    assert lines[3] == "| noise | **65.00 ± 0.00** | **80.00 ± 0.00 (1 seed)** |"


def _runs_with_predictions():
    labels = [0, 1] * 50
    right = list(labels)
    wrong_half = [1 - y if i < 50 else y for i, y in enumerate(labels)]
    runs = []
    for seed in range(3):
        runs.append({"method": "gold", "n": 10, "seed": seed, "accuracy": 0.5, "macro_f1": 0.5, "predictions": wrong_half})
        runs.append({"method": "noise", "n": 10, "seed": seed, "accuracy": 0.5, "macro_f1": 0.5, "predictions": wrong_half})
        runs.append({"method": "synthio", "n": 10, "seed": seed, "accuracy": 1.0, "macro_f1": 1.0, "predictions": right})
    return {"runs": runs, "data": {"test_labels": labels}}


def test_paired_differences_mark_a_clear_gain_and_not_a_tie():
    from synthio.report import comparison_rows, comparison_table

    results = _runs_with_predictions()
    rows = {row["method"]: row for row in comparison_rows(results, 10)}
    assert rows["synthio"]["best_classic"] == "noise"
    assert rows["synthio"]["vs_gold"].estimate == pytest.approx(50.0) and rows["synthio"]["vs_gold"].excludes_zero
    assert rows["noise"]["vs_gold"].estimate == 0.0 and not rows["noise"]["vs_gold"].excludes_zero
    assert rows["gold"]["vs_gold"] is None
    table = comparison_table(results, 10).splitlines()
    assert table[0].startswith("| method | accuracy % [95 % CI] | vs gold, paired [95 % CI] | vs best classic (noise)")
    synthio_row = next(line for line in table if line.startswith("| synthio "))
    assert synthio_row.count(" *") == 2 and synthio_row.endswith("| 3 |")


def test_runs_without_predictions_fall_back_to_a_paired_t_interval():
    from synthio.report import paired_difference

    interval = paired_difference(RUNS, "noise", "gold", 50, test_labels=None)
    assert interval.estimate == pytest.approx(5.0) and interval.count == 2 and interval.low < 0 < interval.high
    single = paired_difference([r for r in RUNS if r["seed"] == 0], "noise", "gold", 50, test_labels=None)
    assert single.estimate == pytest.approx(15.0) and np.isnan(single.low) and not single.excludes_zero
    assert paired_difference(RUNS, "noise", "gold", 100, test_labels=None) is None
