import json

import numpy as np
import pytest

from synthio.atomic import cached_json, write_atomic, write_json_atomic, write_text_atomic


def test_atomic_text_write_leaves_no_temporary(tmp_path):
    write_text_atomic(tmp_path / "x/run.json", "{}")
    assert (tmp_path / "x/run.json").read_text() == "{}" and [p.name for p in (tmp_path / "x").iterdir()] == ["run.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = write_json_atomic(tmp_path / "a.json", {"old": 1})

    def fail(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fail)
    assert json.loads(target.read_text()) == {"old": 1} and [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_the_temporary_is_hidden_and_keeps_a_suffix(tmp_path):
    seen = []
    write_atomic(tmp_path / "features.npz", lambda tmp: (seen.append(tmp.name), np.savez_compressed(tmp, x=np.arange(3))), suffix=".npz")
    assert seen[0].startswith(".features.npz.") and seen[0].endswith(".tmp.npz")
    assert np.load(tmp_path / "features.npz")["x"].tolist() == [0, 1, 2] and [p.name for p in tmp_path.iterdir()] == ["features.npz"]


def test_cached_json_computes_once(tmp_path):
    calls = []
    compute = lambda: calls.append(1) or {"value": len(calls)}  # noqa: E731
    assert cached_json(tmp_path / "c.json", compute) == {"value": 1}
    assert cached_json(tmp_path / "c.json", compute) == {"value": 1} and len(calls) == 1


def test_remove_temporaries_deletes_only_what_temporary_path_names(tmp_path):
    from synthio.atomic import remove_temporaries, temporary_path

    keep = [tmp_path / "a.wav", tmp_path / ".hidden", tmp_path / "sub/.b.wav.tmp"]
    gone = [temporary_path(tmp_path / "a.wav", ".wav"), temporary_path(tmp_path / "sub/c.json")]
    for path in keep + gone:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert remove_temporaries(tmp_path) == 2
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)
