"""Output folders: refused when unsafe, fingerprinted, locked (also across a kill)."""

import json
import signal
import subprocess
import sys

import pytest

from synthio.outdir import LOCK, MARKER, OutputFolderError, check_output, claim_output, fingerprint

SETTINGS = {"seed": 0, "n": 6}


def test_the_input_folder_or_a_folder_inside_it_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "metadata.csv").write_text("file_name,label\n")
    with pytest.raises(OutputFolderError, match="is the input folder"):
        check_output(data, "augment", SETTINGS, inputs=(data,), force=True)
    with pytest.raises(OutputFolderError, match="inside the input folder"):
        check_output(data / "synthetic", "augment", SETTINGS, inputs=(data,))
    check_output(data / "synthetic", "augment", SETTINGS, inputs=(data,), force=True)
    assert (data / "metadata.csv").read_text() == "file_name,label\n"


def test_a_file_or_a_foreign_non_empty_folder_is_refused_unless_forced(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        check_output(tmp_path / "file", "augment", SETTINGS, force=True)
    with pytest.raises(OutputFolderError, match=f"cannot write to {tmp_path / 'file' / 'sub'}: {tmp_path / 'file'} is a file, not a folder"):
        with claim_output(tmp_path / "file" / "sub", "augment", SETTINGS):
            pass
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "metadata.csv").write_text("mine")
    with pytest.raises(OutputFolderError, match="not written by Synthio"):
        check_output(foreign, "augment", SETTINGS)
    with claim_output(foreign, "augment", SETTINGS, force=True):
        pass
    assert (foreign / "metadata.csv").read_text() == "mine" and json.loads((foreign / MARKER).read_text())["fingerprint"] == fingerprint(SETTINGS)
    check_output(foreign, "augment", SETTINGS)


def test_other_settings_or_another_command_are_refused_with_what_changed(tmp_path):
    with claim_output(tmp_path / "out", "augment", SETTINGS) as out:
        (out / "run.json").write_text("{}")
    with pytest.raises(OutputFolderError, match=r"seed: 0 -> 1.*delete .* to start afresh"):
        check_output(tmp_path / "out", "augment", {"seed": 1, "n": 6})
    with pytest.raises(OutputFolderError, match="synthio augment"):
        check_output(tmp_path / "out", "evaluate", SETTINGS)
    check_output(tmp_path / "out", "augment", {"n": 6, "seed": 0})


def test_a_nested_change_names_the_one_setting_and_changed_weights_say_so(tmp_path):
    settings = {"t2a": {"backend": "embedded", "sampler": None}, "weights": {"t2a": "aaaa"}}
    with claim_output(tmp_path / "out", "generate", settings) as out:
        (out / "clip_0000.wav").write_text("")
    with pytest.raises(OutputFolderError, match=r"other settings \(t2a.sampler: null -> \"unipc\"\); rerun") as refused:
        check_output(tmp_path / "out", "generate", {**settings, "t2a": {"backend": "embedded", "sampler": "unipc"}})
    assert "backend" not in str(refused.value)
    with pytest.raises(OutputFolderError, match=r"weights.t2a: \"aaaa\" -> \"bbbb\"; the model files were changed since the folder was begun"):
        check_output(tmp_path / "out", "generate", {**settings, "weights": {"t2a": "bbbb"}})


def test_a_second_claim_is_refused_while_the_first_holds_the_lock(tmp_path):
    with claim_output(tmp_path / "out", "augment", SETTINGS):
        with pytest.raises(OutputFolderError, match="another synthio run is writing"):
            with claim_output(tmp_path / "out", "augment", SETTINGS):
                pass
    with claim_output(tmp_path / "out", "augment", SETTINGS):
        pass


def test_the_lock_dies_with_a_killed_process(tmp_path):
    out = tmp_path / "out"
    code = f"from synthio.outdir import claim_output\nimport time\nwith claim_output({str(out)!r}, 'augment', {SETTINGS!r}):\n    print('held', flush=True)\n    time.sleep(60)\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(OutputFolderError, match="another synthio run"):
            with claim_output(out, "augment", SETTINGS):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    with claim_output(out, "augment", SETTINGS):
        assert (out / LOCK).exists()


def test_a_folder_an_older_version_wrote_resumes_while_added_settings_are_set_to_what_came_before(tmp_path):
    older = {"seed": 0, "t2a": {"backend": "embedded"}}
    with claim_output(tmp_path / "out", "augment", older) as out:
        (out / "run.json").write_text("{}")
    newer = {"seed": 0, "strength": 1.0, "t2a": {"backend": "embedded", "vocoder": None}}
    added_later = {"strength": True, "t2a": {"vocoder"}}
    with claim_output(tmp_path / "out", "augment", newer, added_later=added_later):
        pass
    assert json.loads((tmp_path / "out" / MARKER).read_text())["settings"] == older
    with pytest.raises(OutputFolderError, match="other settings"):
        check_output(tmp_path / "out", "augment", newer)
    with pytest.raises(OutputFolderError, match="strength"):
        check_output(tmp_path / "out", "augment", {**newer, "strength": 0.5}, added_later={"t2a": {"vocoder"}})
    with claim_output(tmp_path / "new", "augment", newer, added_later=added_later):
        pass
    assert json.loads((tmp_path / "new" / MARKER).read_text())["settings"] == newer
    check_output(tmp_path / "new", "augment", newer, added_later=added_later)


def test_force_writes_beside_a_users_files_never_over_them(tmp_path):
    foreign = tmp_path / "foreign"
    (foreign / "audio").mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    with claim_output(foreign, "augment", SETTINGS, force=True, outputs=("metadata.csv", "clip_*.wav")):
        pass
    (foreign / "clip_0003.wav").write_text("mine")
    (foreign / MARKER).unlink()
    with pytest.raises(OutputFolderError, match=r"holds audio, clip_0003.wav, which `synthio augment` would replace; --force never overwrites"):
        check_output(foreign, "augment", SETTINGS, force=True, outputs=("metadata.csv", "audio", "clip_*.wav"))


def test_a_folder_holding_only_a_refused_runs_record_takes_the_corrected_settings(tmp_path):
    with claim_output(tmp_path / "out", "evaluate", SETTINGS) as out:
        (out / "work" / "clips").mkdir(parents=True)  # the run stopped on bad input before writing a file
    with claim_output(tmp_path / "out", "evaluate", {"seed": 1, "n": 6}) as out:
        (out / "results.json").write_text("{}")
    with pytest.raises(OutputFolderError, match="seed: 1 -> 0"):
        check_output(out, "evaluate", SETTINGS)
    with pytest.raises(OutputFolderError, match="synthio evaluate"):
        check_output(out, "augment", SETTINGS)


def test_a_forced_folder_remembers_the_users_files_and_never_counts_them_as_the_runs(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with claim_output(foreign, "augment", SETTINGS, force=True, outputs=("metadata.csv",)) as out:
        (out / "work" / "nested").mkdir(parents=True)
        (out / "work" / "nested" / MARKER).write_text("{}")  # a nested run's record alone is no output either
    assert json.loads((foreign / MARKER).read_text())["foreign"] == ["notes.txt"]
    with claim_output(foreign, "augment", {"seed": 1, "n": 6}) as out:
        (out / "run.json").write_text("{}")
    with pytest.raises(OutputFolderError, match=r"remove what Synthio wrote there \(everything but notes.txt\) to start afresh"):
        check_output(foreign, "augment", SETTINGS)
    assert json.loads((foreign / MARKER).read_text())["foreign"] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "mine"
