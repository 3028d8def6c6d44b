import json

from typer.testing import CliRunner

from synthio.audio import read_audio
from synthio.cli import app
from tests.test_dataset import broken_folder

runner = CliRunner()
FAST = ["--n", "4", "--seeds", "0", "--methods", "gold", "--steps", "2", "--device", "cpu"]


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("evaluate", "validate", "example"):
        assert command in result.output
    assert "--skip-bad" in runner.invoke(app, ["evaluate", "--help"]).output


def test_help_shows_the_config_default_behind_each_unset_option():
    from synthio.pipeline import AugmentConfig

    wide = {"COLUMNS": "400"}
    augment = runner.invoke(app, ["augment", "--help"], env=wide).output
    assert f"few-shot size (paper rule per class; same split as evaluate) [config default: {AugmentConfig.model_fields['n'].default}]" in augment
    assert "or auto (a percentile of the real clips' own values) [config default: auto]" in augment
    assert "--out" in augment and "output audiofolder: metadata.csv, audio/, manifest.jsonl, run.json, work/ " in augment and "work/ [config default" not in augment
    evaluate = runner.invoke(app, ["evaluate", "--help"], env=wide).output
    assert "(one few-shot split each) [config default: 0,1,2,3,4]" in evaluate and "[config default: cnn]" in evaluate
    align = runner.invoke(app, ["align", "--help"], env=wide).output
    assert "[config default: dpo]" in align and "optimiser steps [config default: 300]" in align  # settings of the train section


def test_bad_folder_fails_then_skip_bad_completes_and_lists(tmp_path):
    root = broken_folder(tmp_path / "d")
    args = ["evaluate", str(root), "--train-where", "split=train", "--test-where", "split=test", *FAST]
    failed = runner.invoke(app, [*args, "--out", str(tmp_path / "o1")])
    assert failed.exit_code == 2
    for name in ("low_0.wav", "low_1.wav", "high_0.wav", "ghost.wav"):
        assert name in failed.output
    assert not (tmp_path / "o1" / "results.json").exists()

    done = runner.invoke(app, [*args, "--out", str(tmp_path / "o2"), "--skip-bad"])
    assert done.exit_code == 0, done.output
    results = json.loads((tmp_path / "o2" / "results.json").read_text())
    assert len(results["runs"]) == 1
    assert len(results["data"]["skipped"]) == 4
    for name in ("low_0.wav", "low_1.wav", "high_0.wav", "ghost.wav"):
        assert name in done.output and name in (tmp_path / "o2" / "summary.md").read_text()

    listed = runner.invoke(app, ["validate", str(root), "--train-where", "split=train", "--test-where", "split=test"])
    assert listed.exit_code == 1 and "4 problem(s)" in listed.output


def test_invalid_settings_exit_non_zero(tmp_path, folder):
    result = runner.invoke(app, ["evaluate", str(folder), "--out", str(tmp_path / "o"), "--methods", "mixup"])
    assert result.exit_code == 2 and "mixup" in result.output
    result = runner.invoke(app, ["evaluate", str(folder), "--out", str(tmp_path / "o"), "--train-where", "fold=3", "--test-where", "fold=10"])
    assert result.exit_code == 2 and "no column 'fold'" in result.output
    result = runner.invoke(app, ["evaluate", str(folder), "--out", str(tmp_path / "o"), "--n", "five"])
    assert result.exit_code != 0 and "--n 'five' is not a comma-separated list of ints" in " ".join(result.output.replace("│", " ").split())


def test_print_config_and_config_file(tmp_path, folder):
    printed = runner.invoke(app, ["evaluate", str(folder), "--out", "o", "--steps", "9", "--print-config"])
    assert printed.exit_code == 0 and "steps: 9" in printed.output
    path = tmp_path / "c.yaml"
    path.write_text(printed.output.replace("steps: 9", "steps: 3"))
    again = runner.invoke(app, ["evaluate", "--config", str(path), "--print-config"])
    assert "steps: 3" in again.output and f"data_dir: {folder}" in again.output
    defaults = runner.invoke(app, ["augment", "--print-config"])
    assert defaults.exit_code == 0 and "data_dir: DATA_DIR\nout: OUT\n" in defaults.output and "factor: 4" in defaults.output


def test_example_command_writes_a_folder(tmp_path):
    result = runner.invoke(app, ["example", str(tmp_path / "ex"), "--clips-per-class", "2", "--seconds", "0.25"])
    assert result.exit_code == 0
    assert (tmp_path / "ex" / "metadata.csv").read_text().count("\n") == 1 + 6 * 3


def test_zeroshot_writes_accuracy_and_per_class(tmp_path, folder):
    from synthio.clap.tiny import TinyClapAudio, TinyClapConfig, save_tiny_clap

    save_tiny_clap(TinyClapAudio(TinyClapConfig(seconds=0.5, n_mels=16, channels=(4, 8), embed_dim=8)), tmp_path / "clap")
    result = runner.invoke(app, ["zeroshot", str(folder), "--where", "split=test", "--clap", str(tmp_path / "clap"), "--out", str(tmp_path / "zs")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "zs" / "zeroshot.json").read_text())
    assert 0 <= data["accuracy"] <= 1 and set(data["per_class"]) == {"high", "low", "mid"} and data["num_clips"] == 12
    bad = runner.invoke(app, ["zeroshot", str(folder), "--where", "fold=1", "--clap", str(tmp_path / "clap"), "--out", str(tmp_path / "zs2")])
    assert bad.exit_code == 2 and "no column 'fold'" in bad.output
    other = runner.invoke(app, ["zeroshot", str(folder), "--where", "split=train", "--clap", str(tmp_path / "clap"), "--out", str(tmp_path / "zs")])
    assert other.exit_code == 2 and "other settings" in other.output and json.loads((tmp_path / "zs" / "zeroshot.json").read_text()) == data
    into_input = runner.invoke(app, ["zeroshot", str(folder), "--clap", str(tmp_path / "clap"), "--out", str(folder)])
    assert into_input.exit_code == 2 and "is the input folder" in " ".join(into_input.output.split()) and not (folder / "zeroshot.json").exists()


def test_generate_writes_clips_and_manifest(tmp_path):
    from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
    from synthio.text import MiniLMText

    config = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)
    TinyT2A(config, text=MiniLMText()).save(tmp_path / "t2a")
    args = ["generate", "--prompt", "Sound of a dog", "--num", "2", "--seconds", "0.25", "--steps", "2", "--model", str(tmp_path / "t2a"), "--out", str(tmp_path / "gen")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "gen" / "manifest.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in rows] == [0, 1] and all((tmp_path / "gen" / r["file_name"]).is_file() for r in rows)
    longer = runner.invoke(app, [*args[:6], "1.2", *args[7:-1], str(tmp_path / "long")])
    assert longer.exit_code == 0 and all(len(read_audio(p, 16000)) == 19200 for p in (tmp_path / "long").glob("*.wav"))
    empty = runner.invoke(app, [*args[:6], "0", *args[7:]])
    assert empty.exit_code == 2 and "--seconds" in empty.output
    for change, message in ((["--prompt", " "], "--prompt is empty"), (["--guidance", "nan"], "give a finite number"), (["--model", str(tmp_path)], "has no config.json"), (["--config", "c.yaml"], "give one")):
        refused = runner.invoke(app, [*args[:-2], *change, "--out", str(tmp_path / "refused")])
        assert refused.exit_code == 2 and message in " ".join(refused.output.split()) and not (tmp_path / "refused").exists()


def test_augment_and_align_print_their_config_and_reject_bad_settings(tmp_path, folder):
    printed = runner.invoke(app, ["augment", str(folder), "--out", str(tmp_path / "o"), "--n", "6", "--threshold", "0.85", "--print-config"])
    assert printed.exit_code == 0 and "threshold: 0.85" in printed.output and "reflection_rounds: 2" in printed.output
    bad = runner.invoke(app, ["augment", str(folder), "--out", str(tmp_path / "o"), "--threshold", "high"])
    assert bad.exit_code == 2 and "--threshold" in bad.output
    too_many = runner.invoke(app, ["augment", str(folder), "--out", str(tmp_path / "o"), "--factor", "100"])
    assert too_many.exit_code == 2 and "factor" in too_many.output
    align = runner.invoke(app, ["align", str(folder), "--out", str(tmp_path / "a"), "--objective", "erm", "--print-config"])
    assert align.exit_code == 0 and "objective: erm" in align.output
    wrong = runner.invoke(app, ["align", str(folder), "--out", str(tmp_path / "a"), "--objective", "ppo"])
    assert wrong.exit_code == 2 and "objective" in wrong.output


def test_validate_without_filters_checks_every_row_of_a_plain_folder(tmp_path):
    from tests.conftest import make_folder, write_metadata

    root = make_folder(tmp_path / "aug", {"low": 2, "high": 2})
    write_metadata(root, [{"file_name": f"train/{name}.wav", "label": name[:-2]} for name in ("low_0", "low_1", "high_0", "high_1")])
    good = runner.invoke(app, ["validate", str(root)])
    assert good.exit_code == 0 and "4 clips usable, 2 labels, 0 problem(s)" in good.output
    (root / "train/high_1.wav").write_bytes(b"")
    bad = runner.invoke(app, ["validate", str(root)])
    assert bad.exit_code == 1 and "high_1.wav: empty" in bad.output and "3 clips usable, 2 labels, 1 problem(s)" in bad.output
    part = runner.invoke(app, ["validate", str(broken_folder(tmp_path / "d")), "--train-where", "split=train"])
    assert part.exit_code == 1 and "5 clips usable, 2 labels, 4 problem(s)" in part.output
    (root / "metadata.csv").write_text("file_name,label\n")
    empty = runner.invoke(app, ["validate", str(root)])
    assert empty.exit_code == 1 and "0 clips usable, 0 labels, 0 problem(s)" in empty.output


def test_validate_warns_of_silent_and_clipped_clips_without_failing(tmp_path):
    import numpy as np

    from synthio.audio import write_audio
    from tests.conftest import SAMPLE_RATE, make_folder

    root = make_folder(tmp_path / "levels", {"low": 2, "high": 2})
    write_audio(root / "train/low_0.wav", np.zeros(SAMPLE_RATE // 2, np.float32), SAMPLE_RATE)
    loud = np.clip(4 * np.sin(np.arange(SAMPLE_RATE // 2) / 5), -1, 1).astype(np.float32)
    write_audio(root / "train/high_0.wav", loud, SAMPLE_RATE)
    result = runner.invoke(app, ["validate", str(root)])
    lines = " ".join(result.output.split())
    assert result.exit_code == 0 and "4 clips usable, 2 labels, 0 problem(s), 2 warning(s)" in lines
    assert "train/low_0.wav: silent (peak 0.0e+00" in lines and "train/high_0.wav: clipped (" in lines and "low_1.wav" not in lines


def test_validate_refuses_files_outside_the_folder_unless_allowed(tmp_path):
    from tests.conftest import make_folder, write_metadata

    root = make_folder(tmp_path / "d", {"low": 1, "high": 1})
    outside = make_folder(tmp_path / "o", {"low": 1})
    write_metadata(root, [{"file_name": "train/high_0.wav", "label": "high"}, {"file_name": str(outside / "train/low_0.wav"), "label": "low"}])
    refused = runner.invoke(app, ["validate", str(root)])
    assert refused.exit_code == 1 and "outside the dataset folder" in " ".join(refused.output.split())
    allowed = runner.invoke(app, ["validate", str(root), "--allow-outside"])
    assert allowed.exit_code == 0 and "2 clips usable, 2 labels, 0 problem(s)" in allowed.output


def test_bad_ranges_and_unknown_keys_are_refused_before_any_model_loads(tmp_path, folder, monkeypatch):
    import synthio.pipeline as augment

    def no_model(spec):
        raise AssertionError("a model was loaded before the settings were checked")

    monkeypatch.setattr(augment, "load_t2a", no_model)
    out = ["--out", str(tmp_path / "o")]
    for args, expected in [
        (["augment", str(folder), *out, "--threshold", "2.5"], "threshold"),
        (["augment", str(folder), *out, "--n", "2"], "smaller than the 3 classes"),
        (["augment", str(folder), *out, "--n", "500"], "exceeds the train pool"),
        (["evaluate", str(folder), *out, "--steps", "0"], "steps"),
        (["align", str(folder), *out, "--steps", "0"], "steps"),
        (["evaluate", str(folder), *out, "--train-where", "split=train", "--test-where", "split=test", "--n", "2", "--seeds", "0", "--methods", "gold"], "smaller than the 3 classes"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and expected in result.output, (args, result.output)
    (tmp_path / "zero.yaml").write_text("sample_steps: 0\n")
    zero = runner.invoke(app, ["augment", str(folder), *out, "--config", str(tmp_path / "zero.yaml")])
    assert zero.exit_code == 2 and "sample_steps" in zero.output
    (tmp_path / "typo.yaml").write_text("treshold: 0.99\nsample_steps: 0\n")
    typo = runner.invoke(app, ["augment", str(folder), *out, "--config", str(tmp_path / "typo.yaml")])
    assert typo.exit_code == 2 and "'treshold' is not a setting" in typo.output and "threshold" in typo.output.split("valid keys")[1]
    assert not (tmp_path / "o").exists()


def test_an_out_that_is_a_file_or_the_input_folder_is_refused(tmp_path, folder):
    (tmp_path / "file").write_text("x")
    before = (folder / "metadata.csv").read_bytes()
    for command in (["augment", str(folder), "--n", "6"], ["align", str(folder), "--n", "6"], ["evaluate", str(folder), "--train-where", "split=train", "--test-where", "split=test", *FAST]):
        assert "is a file" in " ".join(runner.invoke(app, [*command, "--out", str(tmp_path / "file")]).output.split())
        result = runner.invoke(app, [*command, "--out", str(folder)])
        assert result.exit_code == 2 and "is the input folder" in " ".join(result.output.split())
    foreign = runner.invoke(app, ["example", str(folder)])
    assert foreign.exit_code == 2 and "not written by Synthio" in foreign.output
    assert (folder / "metadata.csv").read_bytes() == before


def test_generate_rerun_rewrites_its_rows_instead_of_adding_them(tmp_path):
    from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
    from synthio.text import MiniLMText

    config = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)
    TinyT2A(config, text=MiniLMText()).save(tmp_path / "t2a")
    args = ["generate", "--prompt", "rain", "--num", "2", "--seconds", "0.25", "--steps", "2", "--model", str(tmp_path / "t2a"), "--out", str(tmp_path / "gen")]
    for extra in ([], [], ["--seed", "1"]):
        assert runner.invoke(app, [*args, *extra]).exit_code == 0
    rows = [json.loads(line) for line in (tmp_path / "gen/manifest.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in rows] == [0, 1, 2]
    other = runner.invoke(app, [*args[:-2], "--prompt", "wind", "--out", str(tmp_path / "gen")])
    assert other.exit_code == 2 and "prompt" in other.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("keep")
    foreign = runner.invoke(app, [*args[:-2], "--out", str(tmp_path / "mine")])
    assert foreign.exit_code == 2 and "not written by Synthio" in foreign.output and [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    assert runner.invoke(app, [*args, "--steps", "0"]).exit_code == 2
    (tmp_path / "unipc.yaml").write_text(f"t2a: {{path: {tmp_path / 't2a'}, sampler: unipc}}\n")
    sampler = runner.invoke(app, [*args[:-4], "--config", str(tmp_path / "unipc.yaml"), "--out", str(tmp_path / "gen"), "--seed", "5"])
    assert sampler.exit_code == 2 and "t2a.sampler: null -> \"unipc\"" in " ".join(sampler.output.split())
    weights = tmp_path / "t2a/model.safetensors"
    TinyT2A(config, text=MiniLMText()).save(tmp_path / "t2a")  # a model folder replaced by another model of the same shape
    replaced = runner.invoke(app, [*args, "--seed", "5"])
    assert replaced.exit_code == 2 and "the model files were changed" in " ".join(replaced.output.split()) and weights.is_file()
    assert not (tmp_path / "gen/clip_0005.wav").exists()


def test_zeroshot_refuses_multi_label_rows(tmp_path):
    from tests.test_multilabel import make_multilabel_folder

    data = make_multilabel_folder(tmp_path / "ml")
    result = runner.invoke(app, ["zeroshot", str(data), "--out", str(tmp_path / "zs")])
    assert result.exit_code == 2 and "zeroshot scores one label per clip" in " ".join(result.output.split()) and not (tmp_path / "zs").exists()
