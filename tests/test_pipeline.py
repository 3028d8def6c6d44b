import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import synthio.pipeline as augment
from synthio.atomic import temporary_path
from synthio.audio import read_audio, write_audio
from synthio.errors import SynthioError
from synthio.outdir import OutputFolderError, claim_output
from tests import augment_child
from tests.conftest import make_folder, tone, write_metadata
from tests.fakes import RamblingLLM

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def data(tmp_path):
    return make_folder(tmp_path / "data", {"low": 6, "high": 6}, seconds=0.4)


def check_output(out: Path) -> tuple[list[dict], list[dict]]:
    """Every kept row has a readable file, no duplicates, and the manifest agrees with metadata.csv."""
    with open(out / "metadata.csv", newline="") as f:
        kept = list(csv.DictReader(f))
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len({r["file_name"] for r in kept}) == len(kept)
    assert len({r["id"] for r in manifest}) == len(manifest)
    assert sorted(r["file_name"] for r in kept) == sorted(f"audio/{r['id']}.wav" for r in manifest if r["kept"])
    for row in kept:
        assert len(read_audio(out / row["file_name"], 16000)) > 0
    for row in manifest:
        assert (out / "work" / row["file"]).is_file() and row["clap_score"] is not None
    assert sorted(p.name for p in (out / "audio").glob("*.wav")) == sorted(Path(r["file_name"]).name for r in kept)
    return kept, manifest


def test_alignment_validation_holds_clips_out_of_the_winners_only_and_a_count_too_large_fails_before_captioning(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align_validation_clips": 2, "align_validate_every": 2, "reflection_rounds": 0})
    summary = augment.augment_dataset(config)
    align = json.loads((tmp_path / "out/work/align_dpo/align.json").read_text())
    assert len(align["validation_clips"]) == 2 and align["clips"] == 4 and align["pairs"] == 8
    assert [step for step, _ in align["validation"]["curve"]] == [0, 2, 4]
    assert summary["clips_real"] == 6 and summary["rounds"]["0"]["generated"] == 18
    too_many = config.model_copy(update={"out": tmp_path / "out2", "align_validation_clips": 5})
    with pytest.raises(SynthioError, match="validation_clips: 5 leaves a class without winners"):
        augment.augment_dataset(too_many)
    assert not (tmp_path / "out2/work/captions.json").exists()


def test_an_llm_endpoint_that_cannot_be_reached_fails_before_captioning_and_alignment(data, tmp_path, monkeypatch):
    import socket

    from synthio.llm.base import LLMUnreachable

    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out")
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        llm = config.llm.model_copy(update={"backend": "openai", "model": "m", "base_url": f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}/v1"})
        with pytest.raises(LLMUnreachable, match="cannot reach"):
            augment.augment_dataset(config.model_copy(update={"llm": llm}))
    assert not (tmp_path / "out/work/captions.json").exists() and not (tmp_path / "out/work/align_dpo").exists()


def test_augment_keeps_filtered_clips_and_reflects_on_rejected_ones(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    out = tmp_path / "out"
    summary = augment.augment_dataset(augment_child.config(data, out))
    kept, manifest = check_output(out)
    assert summary["clips_real"] == 6 and summary["rounds"]["0"]["generated"] == 18
    assert summary["kept"] == len(kept) == sum(r["kept"] for r in manifest)
    for r, counts in summary["rounds"].items():
        assert counts["kept"] + counts["rejected"] == counts["generated"]
        if r != "0":
            assert counts["generated"] == summary["rounds"][str(int(r) - 1)]["rejected"]
    children = [r for r in manifest if r["round"] > 0]
    assert all(r["parent_id"] in {m["id"] for m in manifest} and "quiet room" in r["caption"] for r in children)
    assert all(float(r["clap_score"]) >= 0.5 for r in kept) and {r["label"] for r in kept} <= {"low", "high"}
    assert set(summary["stage_seconds"]) >= {"split", "caption", "align", "captions", "generate", "filter", "write"}
    assert (out / "work/align_dpo/adapter.safetensors").is_file()
    assert summary["llm_failures"] == {"extraction": 0, "writing": 0, "reflection": 0}
    again = augment.augment_dataset(augment_child.config(data, out))
    assert again["generated"] == summary["generated"] and check_output(out) == (kept, manifest)


def test_an_llm_that_never_answers_validly_is_counted_not_fatal(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    monkeypatch.setattr(augment, "load_llm", lambda spec: RamblingLLM())
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "threshold": 1.0})
    summary = augment.augment_dataset(config)
    kept, manifest = check_output(tmp_path / "out")
    assert summary["llm_failures"]["extraction"] == 6 and summary["llm_failures"]["writing"] == 6 * 4
    assert summary["llm_failures"]["reflection"] == sum(r["round"] > 0 for r in manifest) > 0
    assert all(r["caption"].startswith("Sound of a ") for r in manifest)


def test_template_captions_without_filter_keep_everything(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"captions": "template", "align": "none", "filter": False})
    summary = augment.augment_dataset(config)
    kept, _ = check_output(tmp_path / "out")
    assert summary["kept"] == summary["generated"] == 18 and all(r["caption"].startswith("Sound of a ") for r in kept)
    assert summary["models"]["llm"] is None


def test_auto_threshold_is_a_percentile_of_real_own_label_scores(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"threshold": "auto", "threshold_percentile": 50.0, "align": "none", "reflection_rounds": 0})
    summary = augment.augment_dataset(config)
    assert summary["threshold"] == pytest.approx(summary["real_scores"]["own_label"]["q50"], abs=1e-6)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_and_duplicates_nothing(data, tmp_path):
    """Kill at seven moments across the stages (each run resumes the last), then finish and check the output."""
    out = tmp_path / "out"
    work = out / "work"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(Path(__file__).with_name("augment_child.py")), str(data), str(out)]
    moments = [
        lambda: (work / "captions.json").exists(),
        lambda: (work / "align_dpo/train/checkpoint.pt").exists(),
        lambda: (work / "align_dpo/samples/after").is_dir(),
        lambda: len(lines(work / "events.jsonl")) >= 4,
        lambda: any('"scored"' in line for line in lines(work / "events.jsonl")),
        lambda: (work / "reflection_1.json").exists(),
        lambda: any('"round": 2' in line for line in lines(work / "events.jsonl")),
    ]
    rng = np.random.default_rng(0)
    kills = 0
    for reached in moments:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while process.poll() is None and not reached() and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.2)))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 5
    subprocess.run(command, env=env, check=True, timeout=300, capture_output=True)
    kept, manifest = check_output(out)
    summary = json.loads((out / "run.json").read_text())
    assert summary["generated"] == len(manifest) and summary["kept"] == len(kept)
    assert summary["rounds"]["0"]["generated"] == 18


def test_out_equal_to_the_input_or_a_foreign_folder_is_refused_and_nothing_is_touched(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    before = (data / "metadata.csv").read_bytes()
    with pytest.raises(OutputFolderError, match="is the input folder"):
        augment.augment_dataset(augment_child.config(data, data), force=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "run.json").write_text("mine")
    with pytest.raises(OutputFolderError, match="not written by Synthio"):
        augment.augment_dataset(augment_child.config(data, foreign))
    with pytest.raises(OutputFolderError, match="holds run.json, which `synthio augment` would replace"):
        augment.augment_dataset(augment_child.config(data, foreign), force=True)
    assert (data / "metadata.csv").read_bytes() == before and [p.name for p in foreign.iterdir()] == ["run.json"]


def test_a_rerun_with_other_settings_or_beside_a_running_one_is_refused(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out")
    with claim_output(config.out, "augment", config.output_settings()) as out:
        with pytest.raises(OutputFolderError, match="another synthio run is writing"):
            augment.augment_dataset(config)
        (out / "work").mkdir()
        (out / "work" / "config.json").write_text("{}")  # the run got past its data
    for change in ({"seed": 1}, {"n": 4}, {"factor": 2}):
        with pytest.raises(OutputFolderError, match=f"{next(iter(change))}: .* to start afresh"):
            augment.augment_dataset(config.model_copy(update=change))
    (data / "metadata.csv").write_text((data / "metadata.csv").read_text() + "train/low_0.wav,low,train\n")
    with pytest.raises(OutputFolderError, match="metadata_digest"):
        augment.augment_dataset(config)


def test_the_margin_rule_keeps_clips_whose_label_ranks_first_and_run_json_counts_each_rule(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "reflection_rounds": 0, "filter_rule": "margin", "threshold": 0.0})
    summary = augment.augment_dataset(config)
    _, manifest = check_output(tmp_path / "out")
    assert all(row["kept"] == (row["clap_margin"] >= 0.0) for row in manifest)
    counts = summary["filter"]["rejected_in_round_0_by_rule"]
    assert counts["margin"] == counts["rank"] == sum(row["clap_margin"] < 0 for row in manifest) == summary["rounds"]["0"]["rejected"]
    assert counts["score"] == sum(row["clap_score"] < summary["filter"]["thresholds"]["score"] for row in manifest)
    assert summary["filter"]["rule"] == "margin" and set(summary["real_scores"]["own_margin"]) >= {"q10", "q50"}


def test_the_threshold_range_follows_the_rule(data, tmp_path):
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        augment.AugmentConfig(data_dir=data, out=tmp_path / "o", threshold=-0.1)
    assert augment.AugmentConfig(data_dir=data, out=tmp_path / "o", filter_rule="margin", threshold=-0.1).threshold == -0.1


def test_compose_captions_need_no_llm_and_reflect_by_rules(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)

    def no_llm(spec):
        raise AssertionError("compose mode loaded an LLM")

    monkeypatch.setattr(augment, "load_llm", no_llm)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"captions": "compose", "align": "none", "reflection_rounds": 1, "threshold": 1.0})
    summary = augment.augment_dataset(config)
    _, manifest = check_output(tmp_path / "out")
    first = [row for row in manifest if row["round"] == 0]
    assert all(row["caption"].startswith(("a ", "an ")) and re.search(rf"\b{row['label']}\b", row["caption"]) for row in manifest)
    assert summary["models"]["llm"] is None and summary["rounds"]["1"]["generated"] == summary["rounds"]["0"]["rejected"] > 0
    assert len({row["caption"] for row in first}) > 1


def test_temp_files_of_a_killed_run_are_removed_on_resume(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"captions": "template", "align": "none", "filter": False})
    augment.augment_dataset(config)
    leftover = temporary_path(tmp_path / "out/work/clips/0000-0-r0.wav", ".wav")
    leftover.write_bytes(b"half a file")
    augment.augment_dataset(config)
    assert not leftover.exists() and check_output(tmp_path / "out")


def test_a_run_refused_on_bad_data_leaves_no_file_that_blocks_its_corrected_rerun(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    (data / "broken.wav").write_text("not audio")
    with open(data / "metadata.csv", "a") as f:
        f.write("broken.wav,low,train\n")
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "reflection_rounds": 0, "factor": 1})
    with pytest.raises(SynthioError, match="broken.wav"):
        augment.augment_dataset(config)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == [".synthio.json", ".synthio.lock"]
    augment.augment_dataset(config.model_copy(update={"skip_bad": True}))
    kept, _ = check_output(tmp_path / "out")
    assert kept


def test_write_output_replaces_old_files_and_removes_its_clips_no_longer_kept_but_nothing_else(tmp_path):
    out, work = tmp_path / "out", tmp_path / "out/work"
    write_audio(work / "clips/a.wav", np.full(100, 0.5, np.float32), 16000)
    write_audio(out / "audio/a.wav", np.full(50, -0.5, np.float32), 16000)
    write_audio(out / "audio/old.wav", np.zeros(10, np.float32), 16000)
    write_audio(out / "audio/users.wav", np.zeros(10, np.float32), 16000)
    row = {"label": "tone", "caption": "c", "clap_score": 0.9, "round": 0, "parent_file": "x.wav"}
    state = {"a": {"id": "a", "file": "clips/a.wav", "kept": True, **row}, "old": {"id": "old", "file": "clips/old.wav", "kept": False, **row}}
    augment.write_output(out, work, [], state)
    assert sorted(p.name for p in (out / "audio").iterdir()) == ["a.wav", "users.wav"]
    np.testing.assert_array_equal(read_audio(out / "audio/a.wav", 16000), np.full(100, 0.5, np.float32))


def test_every_real_duration_generates_and_long_clips_are_capped(tmp_path, monkeypatch):
    """Durations just past a multiple of the 0.5-s window, below one FFT frame, and past ``max_clip_seconds``."""
    augment_child.patch(monkeypatch)
    rows = []
    for i, seconds in enumerate([0.5 + 0.02, 1.0 + 1 / 16000, 0.01, 0.003, 1.3, 0.4]):
        label = ["low", "high"][i % 2]
        write_audio(tmp_path / f"data/{label}_{i}.wav", tone(300.0 * (1 + i % 2), seconds, seed=i), 16000)
        rows.append({"file_name": f"{label}_{i}.wav", "label": label})
    write_metadata(tmp_path / "data", rows)
    config = augment_child.config(tmp_path / "data", tmp_path / "out").model_copy(update={"factor": 1, "reflection_rounds": 0, "max_clip_seconds": 1.2})
    augment.augment_dataset(config)
    manifest = [json.loads(line) for line in (tmp_path / "out/manifest.jsonl").read_text().splitlines()]
    lengths = sorted(len(read_audio(tmp_path / "out/work" / row["file"], 16000)) for row in manifest)
    assert lengths == sorted([8320, 16001, 160, 48, 19200, 6400])
    assert (tmp_path / "out/work/clips").is_dir() and not list((tmp_path / "out/work/clips").glob(".*"))


def test_a_folder_begun_with_other_embedded_weights_is_refused_and_an_older_one_resumes_only_while_the_weights_are_those_of_then(tmp_path, monkeypatch):
    import synthio.backends as backends
    from synthio.backends import T2ASpec
    from synthio.outdir import check_output

    data = make_folder(tmp_path / "data", {"low": 1}, seconds=0.1)
    model = tmp_path / "t2a"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"release one")
    config = augment.AugmentConfig(data_dir=data, out=tmp_path / "out", n=1, t2a=T2ASpec(device="cpu", path=model))
    with claim_output(config.out, "augment", config.output_settings()) as out:
        (out / "run.json").write_text("{}")
    check_output(config.out, "augment", config.output_settings(), added_later=config.added_later())
    (model / "model.safetensors").write_bytes(b"release two")
    with pytest.raises(OutputFolderError, match="other settings.*weights"):
        check_output(config.out, "augment", config.output_settings(), added_later=config.added_later())

    older = {k: v for k, v in config.output_settings().items() if k != "weights"}
    with claim_output(tmp_path / "older", "augment", older) as out:
        (out / "run.json").write_text("{}")
    monkeypatch.setattr(backends, "WEIGHTS_BEFORE_RECORDED", config.embedded_weights())
    check_output(tmp_path / "older", "augment", config.output_settings(), added_later=config.added_later())
    monkeypatch.setattr(backends, "WEIGHTS_BEFORE_RECORDED", {**config.embedded_weights(), "t2a": "an earlier t2a"})
    with pytest.raises(OutputFolderError, match="other settings.*weights"):
        check_output(tmp_path / "older", "augment", config.output_settings(), added_later=config.added_later())


def test_settings_added_later_left_at_what_came_before_resume_an_older_versions_folder_and_refuse_it_once_changed(tmp_path):
    from synthio.align.dpo import AlignTrainConfig
    from synthio.align.run import AlignConfig
    from synthio.backends import T2ASpec
    from synthio.outdir import check_output

    data = make_folder(tmp_path / "data", {"low": 1}, seconds=0.1)
    added_train = {"winner_loss_weight", "optimizer", "mixed_precision"}
    config = augment.AugmentConfig(data_dir=data, out=tmp_path / "out", n=1, t2a=T2ASpec(device="cpu"))
    current = config.output_settings()
    older = {k: v for k, v in current.items() if k not in {"init_strength", "align_validation_clips", "align_validate_every"}}
    older["t2a"] = {k: v for k, v in current["t2a"].items() if k not in {"sampler", "steps", "vocoder"}}
    older["align_train"] = {k: v for k, v in current["align_train"].items() if k not in added_train | {"gradient_checkpointing"}}
    assert added_train | {"gradient_checkpointing"} <= set(current["align_train"])
    with claim_output(config.out, "augment", older) as out:
        (out / "run.json").write_text("{}")
    check_output(config.out, "augment", current, added_later=config.added_later())
    changes = ({"init_strength": 0.5}, {"align_validation_clips": 4}, {"align_train": AlignTrainConfig(winner_loss_weight=1.0)},
               {"align_train": AlignTrainConfig(optimizer="adamw-8bit")}, {"align_train": AlignTrainConfig(mixed_precision="bf16")})
    for change in changes:
        changed = config.model_copy(update=change)
        with pytest.raises(OutputFolderError, match="other settings"):
            check_output(config.out, "augment", changed.output_settings(), added_later=changed.added_later())
    align = AlignConfig(data_dir=data, out=tmp_path / "align", n=1, t2a=T2ASpec(device="cpu"))
    assert {"validation_clips", "validate_every"} <= set(align.added_later()) and set(align.added_later()["train"]) == added_train
