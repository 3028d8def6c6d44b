"""Both report pages in a real browser (headless Chromium over the DevTools pipe, scripts/browser_check.py): they load with no console errors, every audio source decodes, the filter controls work."""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from synthio.evaluation_report import write_evaluation_report
from tests.test_listening import run  # noqa: F401  (the module-scoped augment output)

SPEC = importlib.util.spec_from_file_location("browser_check", Path(__file__).resolve().parents[1] / "scripts" / "browser_check.py")
browser_check = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(browser_check)


@pytest.fixture(scope="module", autouse=True)
def chromium():
    try:
        return browser_check.find_browser()
    except browser_check.BrowserMissing as error:
        pytest.fail(str(error))


def test_the_augment_report_loads_plays_and_filters_in_chromium(run, tmp_path):  # noqa: F811
    _, out, clap = run
    from synthio.listening import write_report

    page = write_report(out, clap=clap)
    checks = browser_check.check_page(page, screenshot=tmp_path / "report.png")
    assert checks["console_errors"] == [] and checks["ok"], checks
    assert len(checks["audio"]) == page.read_text().count("<audio ") > 0
    assert {f["table"] for f in checks["filters"]} == {"table-0", "table-1"} and all(f["shown"] < f["rows"] for f in checks["filters"])
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_broken_page_fails_the_checks(run, tmp_path):  # noqa: F811
    _, out, _ = run
    copy = tmp_path / "report"
    shutil.copytree(out / "report", copy)
    first_audio = sorted((copy / "assets").glob("*.ogg"))[0]
    first_audio.write_bytes(b"not audio at all")
    page = copy / "index.html"
    page.write_text(page.read_text().replace("</body>", "<script>undefinedFunction();</script></body>"))
    checks = browser_check.check_page(page)
    assert not checks["ok"] and any("undefinedFunction" in error for error in checks["console_errors"])
    assert [a["ok"] for a in checks["audio"] if a["src"].endswith(first_audio.name)] == [False] * sum(a["src"].endswith(first_audio.name) for a in checks["audio"])


def test_the_evaluate_report_loads_in_chromium(tmp_path):
    labels = [0, 1, 2] * 10
    runs = [
        {"method": method, "n": 6, "seed": seed, "accuracy": float(np.mean(np.asarray(p) == labels)), "macro_f1": 0.5, "predictions": p}
        for seed in range(3)
        for method, p in (("gold", [0] * 30), ("noise", [(y + seed) % 3 for y in labels]), ("synthio", list(labels)))
    ]
    results = {"config": {"data_dir": "data/x", "train_where": ["split=train"], "test_where": ["split=test"], "classifier": "cnn", "steps": 5},
               "data": {"labels": ["a", "b", "c"], "test_labels": labels, "train_pool_clips": 24, "test_clips": 30}, "runs": runs}
    page = write_evaluation_report(results, tmp_path)
    checks = browser_check.check_page(page)
    assert checks["ok"] and checks["console_errors"] == [] and [Path(i["src"]).name for i in checks["images"]] == ["accuracy.png"]
    assert "Confusion matrix: synthio" in page.read_text()
