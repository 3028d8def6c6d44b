"""``synthio augment --dry-run`` on tiny models: exact counts, a probe of every configured model, and nothing written."""

import json

import pytest
from typer.testing import CliRunner

from synthio.cli import app
from synthio.pipeline import AugmentConfig
from synthio.plan import clip_counts, plan_augment
from tests.align.helpers import small_t2a
from tests.conftest import make_folder
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def fast_models(monkeypatch):
    """The small test T2A and a scripted LLM in place of the embedded ones (the plan loads what the config names)."""
    llm = ScriptedLLM()
    monkeypatch.setattr("synthio.backends.load_t2a", lambda spec: small_t2a())
    monkeypatch.setattr("synthio.backends.load_llm", lambda spec: llm if spec.cache_dir is None else pytest.fail("the probe must not use the reply cache"))
    return llm


def test_counts_are_exact_for_round_zero_and_estimated_for_reflection():
    config = AugmentConfig(data_dir="d", out="o", factor=3, reflection_rounds=2)
    counts = clip_counts(config, 10, rejected=0.5)
    assert counts["generate_round_0"] == 30 and counts["reflection_clips_estimate"] == [15.0, 7.5] and counts["reflection_clips_upper_bound"] == 60
    assert counts["align_losers"] == 20 and counts["align_fd_clips"] == 20 and counts["llm_calls_captions"] == 20 and counts["llm_calls_reflection_estimate"] == 22.5
    assert counts["clips_generated_estimate"] == 52.5 and counts["clips_generated_upper_bound"] == 90
    none = clip_counts(config.model_copy(update={"filter": False, "align": "none", "captions": "compose"}), 10)
    assert none["reflection_rounds"] == 0 and none["clips_generated_estimate"] == 30 and none["align_losers"] == 0 and none["llm_calls_captions"] == 0
    held = clip_counts(config.model_copy(update={"align_validation_clips": 4, "align_validate_every": 40}), 10)
    assert held["align_losers"] == 12 and held["align_fd_clips"] == 12 + 4 * 9  # steps 0, 40, ..., 280 and the last (300)


def test_dry_run_plans_every_stage_and_writes_nothing_but_the_plan(tmp_path, fast_models):
    data = make_folder(tmp_path / "data", {"low": 4, "high": 4}, seconds=0.4)
    out, plan_path = tmp_path / "out", tmp_path / "plan.json"
    settings = tmp_path / "settings.yaml"
    settings.write_text("align_train: {steps: 20, batch_size: 4}\nsample_steps: 2\nverdict_steps: 10\nverdict_seeds: 1\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(app, ["augment", str(data), "--where", "split=train", "--n", "6", "--factor", "2", "--out", str(out), "--config", str(settings), "--dry-run", "--plan-json", str(plan_path)])
    assert result.exit_code == 0, result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["plan.json"])
    plan = json.loads(plan_path.read_text())
    counts = plan["counts"]
    assert counts["real_clips"] == 6 and counts["generate_round_0"] == 12 and counts["align_losers"] == 12 and counts["align_fd_clips"] == 12
    assert counts["llm_calls_captions"] == 12 and counts["reflection_rounds"] == 2
    assert list(plan["stage_seconds"])[:4] == ["load models", "split", "caption", "align"]
    assert {"captions", "generate", "filter", "reflect_1", "generate_2", "write", "report", "verdict"} <= set(plan["stage_seconds"])
    assert plan["total_seconds"] == pytest.approx(sum(plan["stage_seconds"].values()), abs=0.2)
    assert {"align_step", "llm_writing_call"} <= set(plan["probe"]) and min(plan["probe"].values()) >= 0 and fast_models.calls >= 2
    assert plan["peak_memory"]["process_peak_resident_mib"] > 0 and plan["disk_bytes"]["total_estimate"] > 0 and plan["fresh_run"]
    printed = " ".join(result.output.split())
    assert "estimated seconds per stage" in printed and "(dry run: nothing written)" in printed and "12 clips in round 0" in printed
    written = plan_path.read_text()
    base = ["augment", str(data), "--where", "split=train", "--n", "6", "--out", str(out), "--plan-json", str(plan_path)]
    for extra, message in ((["--dry-run"], "exists and is never overwritten"), ([], "written by a dry run only: add --dry-run")):
        again = CliRunner().invoke(app, base + extra)
        assert again.exit_code == 2 and message in " ".join(again.output.split())
    assert plan_path.read_text() == written and not out.exists()


def test_a_folder_the_run_would_refuse_is_a_warning_not_a_write(tmp_path, fast_models):
    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.4)
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    plan = plan_augment(AugmentConfig(data_dir=data, out=out, where=["split=train"], n=4, factor=2), probe_models=False)
    assert any(w.startswith("the run would stop here:") and str(out) in w for w in plan["warnings"])
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"] and plan["counts"]["generate_round_0"] == 8


def test_the_plans_rows_of_a_multi_label_folder_carry_every_label(tmp_path):
    from synthio.plan import few_shot_rows
    from tests.test_multilabel import make_multilabel_folder

    rows = few_shot_rows(AugmentConfig(data_dir=make_multilabel_folder(tmp_path / "ml"), out=tmp_path / "o", where=["split=train"], n=4))
    assert rows and all(row["label"] == " and ".join(row["labels"]) for row in rows) and any(len(row["labels"]) > 1 for row in rows)
