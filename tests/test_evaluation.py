import json

import numpy as np
import pytest
import torch

from synthio.dataset import Clip
from synthio.evaluation import EvaluateConfig, auto_seconds, evaluate
from synthio.outdir import OutputFolderError
from tests.conftest import make_folder


def config(folder, out, **kwargs):
    settings = dict(
        data_dir=folder, out=out, train_where=["split=train"], test_where=["split=test"], n=[6], seeds=[0],
        methods=["gold", "noise", "specaug"], steps=4, batch_size=8, eval_every=2, copies=1, device="cpu",
    )
    settings.update(kwargs)
    return EvaluateConfig(**settings)


def test_runs_every_method_and_resumes(folder, tmp_path):
    out = tmp_path / "out"
    results = evaluate(config(folder, out))
    runs = results["runs"]
    assert [(r["method"], r["n"], r["seed"]) for r in runs] == [("gold", 6, 0), ("noise", 6, 0), ("specaug", 6, 0)]
    for run in runs:
        assert 0.0 <= run["accuracy"] <= 1.0 and 0.0 <= run["macro_f1"] <= 1.0
        assert {"method", "n", "seed", "accuracy", "macro_f1", "epochs", "seconds"} <= set(run)
    assert runs[0]["train_clips"] == 6 and runs[1]["train_rows"] == 12
    assert (out / "summary.md").read_text().count("| gold |") == 3
    assert (out / "summary.png").stat().st_size > 1000
    test_labels = np.asarray(results["data"]["test_labels"])
    assert all(run["accuracy"] == np.mean(np.asarray(run["predictions"]) == test_labels) for run in runs)
    page = (out / "report" / "index.html").read_text()
    assert (out / "report" / "accuracy.png").stat().st_size > 1000
    assert page.count("<tr><td>gold</td>") == 2 and "Per-class accuracy" in page and "Confusion matrix: gold" in page
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk["runs"] == runs

    more = evaluate(config(folder, out, seeds=[0, 1]))
    assert more["runs"][:3] == runs and len(more["runs"]) == 6

    with pytest.raises(OutputFolderError, match="other settings"):
        evaluate(config(folder, out, steps=5))


def test_force_writes_beside_copied_synthetic_runs_but_never_over_a_users_results(folder, tmp_path):
    out = tmp_path / "out"
    (out / "synthetic" / "synthio-x4-n6-s0").mkdir(parents=True)  # a run copied in to be resumed
    assert [r["method"] for r in evaluate(config(folder, out, methods=["gold"]), force=True)["runs"]] == ["gold"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.json").write_text("mine")
    with pytest.raises(OutputFolderError, match="holds results.json, which `synthio evaluate` would replace"):
        evaluate(config(folder, mine, methods=["gold"]), force=True)
    assert (mine / "results.json").read_text() == "mine"


def test_a_bad_augment_config_is_refused_before_any_method_trains(folder, tmp_path):
    from synthio.config import ConfigError

    bad = tmp_path / "bad.yaml"
    for text, message in (("t2a: {sampler: bogus}\n", "'bogus' is not one of embedded's"), ("t2a: {steps: 5}\n", "embedded T2A takes sample_steps"), ("treshold: 0.5\n", "treshold")):
        bad.write_text(text)
        with pytest.raises(ConfigError, match=message):
            evaluate(config(folder, tmp_path / "out", methods=["gold", "synthio"], augment_config=bad))
        assert not (tmp_path / "out").exists()


def test_the_augment_config_is_fingerprinted_by_content_not_name(folder, tmp_path):
    yaml_file = tmp_path / "augment.yaml"
    yaml_file.write_text("threshold: 0.5\n")
    first = config(folder, tmp_path / "out", augment_config=yaml_file).fingerprint()
    yaml_file.write_text("threshold: 0.9\n")
    assert config(folder, tmp_path / "out", augment_config=yaml_file).fingerprint() != first


def test_same_settings_give_the_same_accuracy(folder, tmp_path):
    a = evaluate(config(folder, tmp_path / "a", methods=["gold"]))["runs"][0]
    b = evaluate(config(folder, tmp_path / "b", methods=["gold"]))["runs"][0]
    assert a["accuracy"] == b["accuracy"] and a["macro_f1"] == b["macro_f1"]


def test_extra_train_rows_become_a_method(folder, tmp_path):
    extra = make_folder(tmp_path / "syn", {"low": 3, "high": 3})
    runs = evaluate(config(folder, tmp_path / "out", methods=["gold"], extra_train=[extra]))["runs"]
    assert [r["method"] for r in runs] == ["gold", "extra:syn"]
    assert runs[1]["train_rows"] == runs[0]["train_rows"] + 6


def test_the_pretrain_schedule_trains_on_generated_rows_first_then_on_the_real_clips(folder, tmp_path, monkeypatch):
    import synthio.evaluation as evaluation

    calls = []
    real_train = evaluation.train_classifier

    def recording(model, features, labels, *args, fit_normalization=True, **kwargs):
        calls.append((len(features), fit_normalization, model.feature_mean.clone()))
        return real_train(model, features, labels, *args, fit_normalization=fit_normalization, **kwargs)

    monkeypatch.setattr(evaluation, "train_classifier", recording)
    extra = make_folder(tmp_path / "syn", {"low": 4, "high": 4})
    mixed = config(folder, tmp_path / "mix", methods=["gold"], extra_train=[extra])
    assert "synthetic_schedule" not in mixed.output_settings()
    runs = evaluate(mixed)["runs"]
    assert [(rows, fit) for rows, fit, _ in calls] == [(6, True), (14, True)] and "pretrain_best_step" not in runs[1]
    calls.clear()
    scheduled = config(folder, tmp_path / "pre", methods=["gold"], extra_train=[extra], synthetic_schedule="pretrain")
    assert scheduled.fingerprint() != mixed.fingerprint()
    runs = evaluate(scheduled)["runs"]
    assert [(rows, fit) for rows, fit, _ in calls] == [(6, True), (8, False), (6, False)]
    assert torch.equal(calls[1][2], calls[2][2]) and not torch.equal(calls[1][2], torch.zeros_like(calls[1][2]))
    assert runs[1]["train_rows"] == 14 and "pretrain_best_step" in runs[1] and "pretrain_best_step" not in runs[0]


def test_the_validation_gate_keeps_generated_rows_only_when_they_win_on_validation():
    from synthio.evaluation import gated

    real_only = {"method": "gold", "accuracy": 0.5, "val_accuracy": 0.6, "train_rows": 6, "predictions": [0, 1]}
    winner = {"method": "synthio", "accuracy": 0.3, "val_accuracy": 0.7, "train_rows": 30, "predictions": [1, 1]}
    assert gated(winner, real_only) == {**winner, "gate": "generated", "gate_val_generated": 0.7, "gate_val_real_only": 0.6}
    tie = {**winner, "val_accuracy": 0.6}
    assert gated(tie, real_only) == {**real_only, "method": "synthio", "gate": "real-only", "gate_val_generated": 0.6, "gate_val_real_only": 0.6}
    assert gated({**winner, "val_map": 0.2}, {**real_only, "val_map": 0.4})["gate"] == "real-only"


def test_the_validation_gate_in_a_run_compares_with_the_real_clips_alone(folder, tmp_path):
    extra = make_folder(tmp_path / "syn", {"low": 4, "high": 4})
    open_gate = config(folder, tmp_path / "off", methods=["gold"], extra_train=[extra])
    assert "synthetic_gate" not in open_gate.output_settings()
    gate = config(folder, tmp_path / "gate", methods=["noise"], extra_train=[extra], synthetic_gate="validation")
    assert gate.fingerprint() != open_gate.fingerprint()
    noise, extra_run = evaluate(gate)["runs"]
    gold = evaluate(open_gate)["runs"][0]
    assert "gate" not in noise and extra_run["gate_val_real_only"] == gold["val_accuracy"]
    summary = (tmp_path / "gate" / "summary.md").read_text()
    assert f"generated rows dropped in {int(extra_run['gate'] == 'real-only')} of 1 runs" in summary
    if extra_run["gate"] == "real-only":
        assert extra_run["predictions"] == gold["predictions"] and extra_run["train_rows"] == gold["train_rows"]
    else:
        assert extra_run["gate_val_generated"] > gold["val_accuracy"] and extra_run["train_rows"] == gold["train_rows"] + 8


def test_auto_seconds():
    def clip(s):
        return Clip("x", "a", np.zeros(int(s * 100), np.float32), 100)
    assert auto_seconds([clip(0.3)] * 10) == 0.5
    assert auto_seconds([clip(1.2)] * 39 + [clip(30.0)]) == 1.5
    assert auto_seconds([clip(60.0)] * 3) == 10.0


def test_val_group_column_must_exist(folder, tmp_path):
    with pytest.raises(ValueError, match="--val-group source"):
        evaluate(config(folder, tmp_path / "out", val_group="source"))


def test_synthetic_methods_run_the_pipeline_per_split_and_sweep_factors(folder, tmp_path, monkeypatch):
    from tests import augment_child

    augment_child.patch(monkeypatch)
    (tmp_path / "augment.yaml").write_text("sample_steps: 2\nbatch_size: 4\nthreshold: 0.0\nreflection_rounds: 0\nalign_train: {steps: 2, batch_size: 2}\n")
    runs = evaluate(config(folder, tmp_path / "out", methods=["gold", "vanilla-syn", "no-dpo"], factor=[1, 2], augment_config=tmp_path / "augment.yaml"))["runs"]
    rows = {r["method"]: r["train_rows"] for r in runs}
    assert rows == {"gold": 6, "vanilla-syn@1x": 12, "vanilla-syn@2x": 18, "no-dpo@1x": 12, "no-dpo@2x": 18}
    assert (tmp_path / "out/synthetic/vanilla-syn-x2-n6-s0/metadata.csv").is_file()
    assert json.loads((tmp_path / "out/synthetic/no-dpo-x1-n6-s0/run.json").read_text())["config"]["captions"] == "mixcap"


def test_retrieval_takes_the_clap_nearest_pool_clips(folder, tmp_path):
    pool = make_folder(tmp_path / "pool", {"low": 4, "high": 4, "other": 4})
    runs = evaluate(config(folder, tmp_path / "out", methods=["retrieval"], factor=[2], retrieval_pool=pool))["runs"]
    assert runs[0]["method"] == "retrieval" and runs[0]["train_rows"] == 18
    with pytest.raises(ValueError, match="retrieval-pool"):
        evaluate(config(folder, tmp_path / "out2", methods=["retrieval"]))


def test_settings_that_would_mislead_are_refused_before_anything_runs(folder, tmp_path):
    from pydantic import ValidationError

    from synthio.config import ConfigError

    for key, repeated in (("n", [6, 6]), ("seeds", [0, 0]), ("methods", ["gold", "gold"]), ("factor", [2, 2])):
        with pytest.raises(ValidationError, match="repeats .*each value runs once"):
            config(folder, tmp_path / "out", **{key: repeated})
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        config(folder, tmp_path / "out", seeds=[-1])
    with pytest.raises(ConfigError, match="--train-where and --test-where missing"):
        evaluate(config(folder, tmp_path / "out", train_where=[], test_where=[]))
    assert not (tmp_path / "out").exists()


def test_extra_rows_or_a_retrieval_pool_holding_test_clips_are_refused(folder, tmp_path):
    from synthio.dataset import SelectionError

    with pytest.raises(SelectionError, match=r"--extra-train .*: 12 of its file\(s\) are test clips"):
        evaluate(config(folder, tmp_path / "out", methods=["gold"], extra_train=[folder]))
    with pytest.raises(SelectionError, match=r"--retrieval-pool .*: 12 of its file\(s\) are test clips"):
        evaluate(config(folder, tmp_path / "out2", methods=["retrieval"], retrieval_pool=folder))


def test_copies_of_test_clips_are_refused_unless_the_train_part_holds_the_same_sound(folder, tmp_path):
    import shutil

    from synthio.audio import write_audio
    from synthio.dataset import SelectionError
    from tests.conftest import SAMPLE_RATE, tone

    write_audio(folder / "test/low_1.wav", tone(950.0, 0.5, seed=7), SAMPLE_RATE)  # the one test clip no train clip sounds like
    extra = make_folder(tmp_path / "extra", {"low": 2})
    shutil.copy(folder / "test/low_0.wav", extra / "train/low_0.wav")  # sounds like the train part's train/low_0.wav: no new leak
    runs = evaluate(config(folder, tmp_path / "out", methods=["gold"], extra_train=[extra]))["runs"]
    assert {run["method"] for run in runs} == {"gold", "extra:extra"}
    write_audio(extra / "train/low_1.wav", tone(950.0, 0.5, seed=7), SAMPLE_RATE)  # the same sound, written anew (its header differs)
    with pytest.raises(SelectionError, match=r"--extra-train .*: 1 of its file\(s\) are test clips or copies of them \(e.g. train/low_1.wav\)"):
        evaluate(config(folder, tmp_path / "out2", methods=["gold"], extra_train=[extra]))
    with pytest.raises(SelectionError, match=r"--retrieval-pool .*: 1 of its file\(s\) are test clips or copies of them"):
        evaluate(config(folder, tmp_path / "out3", methods=["retrieval"], retrieval_pool=extra))


def test_extra_folders_that_would_run_under_one_method_name_are_refused(folder, tmp_path):
    from pydantic import ValidationError

    first, second = make_folder(tmp_path / "a/syn", {"low": 1}), make_folder(tmp_path / "b/syn", {"low": 1})
    with pytest.raises(ValidationError, match=r"a/syn, .*b/syn would all run as method extra:syn"):
        config(folder, tmp_path / "out", extra_train=[first, second])
    with pytest.raises(ValidationError, match="would all run as method extra:syn"):
        config(folder, tmp_path / "out", extra_train=[first, first])


def test_a_source_no_chosen_method_reads_is_refused(folder, tmp_path):
    from synthio.config import ConfigError

    with pytest.raises(ConfigError, match="--retrieval-pool is read only by the retrieval and retrieval-variations methods"):
        config(folder, tmp_path / "out", methods=["gold"], retrieval_pool=folder).check()
    with pytest.raises(ConfigError, match="--classifier-path is read only by"):
        config(folder, tmp_path / "out", methods=["gold"], classifier_path=folder).check()
    assert not (tmp_path / "out").exists()
