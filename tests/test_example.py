import numpy as np
import pytest
import soundfile as sf

from synthio.dataset import load_parts, parse_where
from synthio.example import CLASSES, synthesize, write_example


def test_example_folder_loads_and_is_deterministic(tmp_path):
    write_example(tmp_path / "a", clips_per_class=2, seconds=0.25)
    write_example(tmp_path / "b", clips_per_class=2, seconds=0.25)
    parts = load_parts(tmp_path / "a", parse_where(["split=train"]), parse_where(["split=test"]), 16000)
    assert len(parts.train) == 2 * len(CLASSES) and len(parts.test) == len(CLASSES)
    assert parts.labels == sorted(CLASSES)
    # samples, not bytes: libsndfile stamps float WAVs with the second they were written (PEAK chunk)
    for name in ("train/tone_000.wav", "test/siren_000.wav"):
        np.testing.assert_array_equal(sf.read(tmp_path / "a" / name)[0], sf.read(tmp_path / "b" / name)[0])
    assert (tmp_path / "a/metadata.csv").read_bytes() == (tmp_path / "b/metadata.csv").read_bytes()


def test_classes_differ_and_stay_in_range():
    clips = {label: synthesize(label, 0.5, 16000, seed=1) for label in CLASSES}
    for x in clips.values():
        assert x.shape == (8000,) and np.abs(x).max() <= 1.0 and np.isfinite(x).all()
    assert not np.allclose(clips["tone"], clips["hum"])


def test_force_writes_beside_a_users_files_but_never_replaces_their_metadata(tmp_path):
    from synthio.outdir import OutputFolderError

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/metadata.csv").write_text("file_name,label\na.wav,dog\n")
    with pytest.raises(OutputFolderError, match="holds metadata.csv, which `synthio example` would replace"):
        write_example(tmp_path / "mine", clips_per_class=1, seconds=0.25, force=True)
    assert (tmp_path / "mine/metadata.csv").read_text() == "file_name,label\na.wav,dog\n"
    (tmp_path / "beside").mkdir()
    (tmp_path / "beside/notes.txt").write_text("mine")
    write_example(tmp_path / "beside", clips_per_class=1, seconds=0.25, force=True)
    assert (tmp_path / "beside/notes.txt").read_text() == "mine" and (tmp_path / "beside/metadata.csv").is_file()
