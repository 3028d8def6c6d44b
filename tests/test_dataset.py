import numpy as np
import pytest
import soundfile as sf

from synthio.dataset import DatasetError, load_extra, load_parts, load_selection, parse_where, read_metadata, select
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
    assert parse_where(["label=rooster\\, loud,dog"]) == {"label": {"rooster, loud", "dog"}}
    with pytest.raises(ValueError, match="COLUMN=VALUE"):
        parse_where(["fold"])
    for doubled in ("split=train,,test", "fold=1,"):
        with pytest.raises(ValueError, match="an empty value between commas"):
            parse_where([doubled])
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


def test_two_spellings_of_one_path_are_one_file_for_the_overlap_and_duplicate_checks(folder):
    rows = read_metadata(folder)
    write_metadata(folder, rows + [{"file_name": "./train/low_0.wav", "label": "low", "split": "test"}])
    with pytest.raises(ValueError, match="1 file\\(s\\) are in both the train and the test part"):
        load_parts(folder, parse_where(["split=train"]), parse_where(["split=test"]), SR)
    write_metadata(folder, rows + [{"file_name": "train/../train/low_0.wav", "label": "low", "split": "train"}])
    with pytest.raises(DatasetError, match="duplicate row"):
        load_parts(folder, parse_where(["split=train"]), parse_where(["split=test"]), SR)


def test_extra_rows_with_unknown_labels(folder, tmp_path):
    extra = make_folder(tmp_path / "extra", {"low": 2, "zebra": 1})
    with pytest.raises(DatasetError, match="unknown label"):
        load_extra(extra, ["high", "low", "mid"], SR)
    clips, problems = load_extra(extra, ["high", "low", "mid"], SR, skip_bad=True)
    assert [c.label for c in clips] == ["low", "low"] and len(problems) == 1


def write_text_metadata(root, text, encoding="utf-8"):
    """Write ``root/metadata.csv`` verbatim, bypassing the csv module."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "metadata.csv").write_bytes(text.encode(encoding))
    return root


def test_overlong_csv_field_names_metadata_and_line(tmp_path):
    write_text_metadata(tmp_path, "file_name,label\na.wav,x\nb.wav," + "y" * 131_073 + "\n")
    with pytest.raises(DatasetError) as info:
        read_metadata(tmp_path)
    [problem] = info.value.problems
    assert (problem.file_name, problem.kind) == ("metadata.csv line 3", "bad CSV")
    assert "field larger than field limit (131072)" in problem.detail and "metadata.csv line 3" in str(info.value)


def test_overlong_file_name_is_one_problem_among_others(tmp_path):
    root = broken_folder(tmp_path / "d")
    long_name = "train/" + "x" * 300 + ".wav"
    write_metadata(root, read_metadata(root) + [{"file_name": long_name, "label": "low", "split": "train"}])
    with pytest.raises(DatasetError) as info:
        load_parts(root, parse_where(["split=train"]), parse_where(["split=test"]), SR)
    assert sorted(p.kind for p in info.value.problems) == ["empty", "file name too long", "missing", "non-finite", "truncated"]
    [problem] = [p for p in info.value.problems if p.kind == "file name too long"]
    assert problem.file_name == "train/" + "x" * 50 + "...xxxxxxxxxxxxxxxx.wav"
    assert problem.detail == "File name too long: the metadata.csv row's file_name has 310 characters" and "metadata.csv" in problem.detail


def test_names_leading_outside_the_folder_are_refused_unless_allowed(tmp_path):
    from synthio.audio import write_audio
    from tests.conftest import tone

    root = make_folder(tmp_path / "d", {"low": 2, "high": 2}, test_per_class=1)
    write_audio(tmp_path / "elsewhere.wav", tone(300), SR)
    write_audio(tmp_path / "other/a.wav", tone(500), SR)
    (root / "train/link.wav").symlink_to(tmp_path / "elsewhere.wav")
    (root / "ext").symlink_to(tmp_path / "other")
    (root / "train/inside.wav").symlink_to(root / "train/low_0.wav")
    outside = [str(tmp_path / "elsewhere.wav"), "../elsewhere.wav", "train/link.wav", "ext/a.wav"]
    rows = read_metadata(root) + [{"file_name": name, "label": "low", "split": "train"} for name in [*outside, "train/inside.wav"]]
    write_metadata(root, rows)
    with pytest.raises(DatasetError) as info:
        load_selection(root, None, SR)
    assert sorted(p.file_name for p in info.value.problems) == sorted(outside)
    assert {p.kind for p in info.value.problems} == {"outside the dataset folder"} and "--allow-outside" in str(info.value)
    clips, problems = load_selection(root, None, SR, skip_bad=True)
    assert len(clips) == 7 and len(problems) == 4
    clips, problems = load_extra(root, ["high", "low"], SR, allow_outside=True)
    assert len(clips) == 11 and problems == []
    parts = load_parts(root, parse_where(["split=train"]), parse_where(["split=test"]), SR, allow_outside=True)
    assert (len(parts.train), len(parts.test), parts.skipped) == (9, 2, [])


def test_utf8_bom_is_accepted_and_latin1_is_named(tmp_path):
    root = make_folder(tmp_path / "d", {"low": 1, "high": 1})
    rows = read_metadata(root)
    (root / "metadata.csv").write_bytes(b"\xef\xbb\xbf" + (root / "metadata.csv").read_bytes())
    assert read_metadata(root) == rows
    write_text_metadata(tmp_path / "latin", "file_name,label\nok.wav,a\ncaf\xe9.wav,b\n", encoding="latin-1")
    with pytest.raises(DatasetError) as info:
        read_metadata(tmp_path / "latin")
    [problem] = info.value.problems
    assert (problem.file_name, problem.kind) == ("metadata.csv", "not UTF-8")
    assert problem.detail == "byte 28 (line 3) is 0xe9, which is not UTF-8"
    assert "save metadata.csv as UTF-8" in problem.fix


def test_duplicate_columns_and_rows_with_too_few_or_too_many_fields(tmp_path):
    write_text_metadata(tmp_path / "dup", "file_name,label,label\na.wav,x,y\n")
    with pytest.raises(DatasetError, match="metadata.csv line 1: duplicate columns: label appears 2 times"):
        read_metadata(tmp_path / "dup")
    root = make_folder(tmp_path / "d", {"low": 2, "high": 1})
    text = "file_name,label,split\ntrain/low_0.wav,low,train\ntrain/low_1.wav,low\ntrain/high_0.wav,high,train,extra\n"
    write_text_metadata(root, text)
    with pytest.raises(DatasetError) as info:
        load_selection(root, None, SR)
    assert [(p.file_name, p.kind) for p in info.value.problems] == [("metadata.csv line 3", "too few fields"), ("metadata.csv line 4", "too many fields")]
    assert info.value.problems[0].detail == "row 'train/low_1.wav' has 2 fields; the header has 3"
    clips, problems = load_selection(root, None, SR, skip_bad=True)
    assert [c.file_name for c in clips] == ["train/low_0.wav"] and len(problems) == 2
    with pytest.raises(DatasetError, match="too many fields"):
        read_metadata(root)


def test_an_empty_file_name_and_a_folder_are_each_one_problem_that_says_what_it_is(tmp_path):
    root = make_folder(tmp_path / "d", {"a": 1})
    (root / "train/sub").mkdir()
    write_metadata(root, [{"file_name": "train/a_0.wav", "label": "a"}, {"file_name": " ", "label": "a"}, {"file_name": "train/sub", "label": "a"}])
    clips, problems = load_selection(root, None, 16000, skip_bad=True)
    assert [c.file_name for c in clips] == ["train/a_0.wav"]
    assert [(p.file_name, p.kind) for p in problems] == [("<empty>", "missing file_name"), ("train/sub", "not a file")]


def test_a_missing_metadata_csv_or_a_folder_in_its_place_says_which(tmp_path):
    from synthio.dataset import read_rows

    with pytest.raises(DatasetError, match="metadata.csv does not exist"):
        read_rows(tmp_path)
    (tmp_path / "metadata.csv").mkdir()
    with pytest.raises(DatasetError, match="metadata.csv is a folder, not a file"):
        read_rows(tmp_path)
