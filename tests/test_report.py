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
