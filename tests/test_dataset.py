import numpy as np
import pytest
import soundfile as sf

from synthio.dataset import DatasetError, load_extra, load_parts, parse_where, read_metadata, select
from tests.conftest import make_folder, write_metadata

SR = 16000


def broken_folder(root):
    """A folder with a truncated file, an empty file, a file of NaNs and a row whose file is missing."""
    make_folder(root, {"low": 4, "high": 4}, test_per_class=2)
    data = (root / "train/low_0.wav").read_bytes()
    (root / "train/low_0.wav").write_bytes(data[: len(data) // 2])
    (root / "train/low_1.wav").write_bytes(b"")
    sf.write(root / "train/high_0.wav", np.full(800, np.nan, np.float32), SR, subtype="FLOAT")
    rows = read_metadata(root) + [{"file_name": "train/ghost.wav", "label": "low", "split": "train"}]
    write_metadata(root, rows)
    return root


def test_one_error_names_all_four_problems(tmp_path):
    root = broken_folder(tmp_path / "d")
    with pytest.raises(DatasetError) as info:
        load_parts(root, parse_where(["split=train"]), parse_where(["split=test"]), SR)
    message = str(info.value)
    for name, kind in [("low_0.wav", "truncated"), ("low_1.wav", "empty"), ("high_0.wav", "non-finite"), ("ghost.wav", "missing")]:
        assert name in message and kind in message
    assert "4 problem(s)" in message and "--skip-bad" in message
    assert {p.kind for p in info.value.problems} == {"truncated", "empty", "non-finite", "missing"}


def test_skip_bad_keeps_good_rows_and_lists_bad_ones(tmp_path):
    root = broken_folder(tmp_path / "d")
    parts = load_parts(root, parse_where(["split=train"]), parse_where(["split=test"]), SR, skip_bad=True)
    assert len(parts.train) == 5 and len(parts.test) == 4
    assert sorted(p.file_name for p in parts.skipped) == ["train/ghost.wav", "train/high_0.wav", "train/low_0.wav", "train/low_1.wav"]
    assert parts.labels == ["high", "low"]


def test_duplicates_unseen_labels_and_dead_classes_are_reported(tmp_path):
    root = make_folder(tmp_path / "d", {"a": 3, "b": 3, "c": 1}, test_per_class=1)
    rows = read_metadata(root)
    rows.append(dict(rows[0]))
    rows.append({"file_name": "test/c_0.wav", "label": "zebra", "split": "test"})
    rows = [r for r in rows if not (r["file_name"] == "test/c_0.wav" and r["label"] == "c")]
    (root / "train/c_0.wav").write_bytes(b"")
    write_metadata(root, rows)
    with pytest.raises(DatasetError) as info:
        load_parts(root, parse_where(["split=train"]), parse_where(["split=test"]), SR)
    kinds = {p.kind for p in info.value.problems}
    assert {"duplicate row", "unseen test label", "class with no clips", "empty"} <= kinds


def test_parse_where_and_select_errors(tmp_path):
    assert parse_where(["fold=1,2", "speaker=theo"]) == {"fold": {"1", "2"}, "speaker": {"theo"}}
    with pytest.raises(ValueError, match="COLUMN=VALUE"):
        parse_where(["fold"])
    rows = [{"file_name": "a", "label": "x", "fold": "1"}]
    with pytest.raises(ValueError, match="no column 'speaker'"):
        select(rows, {"speaker": {"theo"}})
    with pytest.raises(ValueError, match="values present: 1"):
        select(rows, {"fold": {"3"}})


def test_missing_metadata_and_columns(tmp_path):
    with pytest.raises(DatasetError, match="not a directory"):
        read_metadata(tmp_path / "nope")
    with pytest.raises(DatasetError, match="metadata.csv"):
        read_metadata(tmp_path)
    (tmp_path / "metadata.csv").write_text("file,lab\nx,y\n")
    with pytest.raises(DatasetError, match="file_name, label"):
        read_metadata(tmp_path)


def test_overlapping_parts_are_refused(folder):
    with pytest.raises(ValueError, match="both the train and the test"):
        load_parts(folder, {}, parse_where(["split=test"]), SR)


def test_extra_rows_with_unknown_labels(folder, tmp_path):
    extra = make_folder(tmp_path / "extra", {"low": 2, "zebra": 1})
    with pytest.raises(DatasetError, match="unknown label"):
        load_extra(extra, ["high", "low", "mid"], SR)
    clips, problems = load_extra(extra, ["high", "low", "mid"], SR, skip_bad=True)
    assert [c.label for c in clips] == ["low", "low"] and len(problems) == 1
