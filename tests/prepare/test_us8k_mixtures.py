"""``synthio prepare us8k-mixtures``: mixtures keep the fold protocol, carry every class present, follow their seed, and sound like their sources."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from synthio.audio import read_audio
from synthio.cli import app
from synthio.dataset import load_parts
from synthio.errors import SynthioError
from synthio.prepare import prepare
from synthio.prepare.us8k_mixtures import LEVEL_DBFS, PEAK, SAMPLE_RATE
from tests.prepare.test_recipes import tone, write

CLASSES = ("dog_bark", "siren", "drilling", "car_horn")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """An UrbanSound8K audiofolder: folds 1, 3 and 10, two clips of each of four classes per fold (lengths 0.1-0.45 s, at 8 kHz)."""
    root = tmp_path / "us8k"
    rows = []
    for fold in ("1", "3", "10"):
        for k, label in enumerate(CLASSES):
            for j in range(2):
                name = f"fold{fold}/{label}-{j}.wav"
                tone(root / name, seconds=0.1 + 0.05 * k + 0.1 * j, frequency=250.0 * (k + 1) + 40 * j)
                rows.append(f"{name},{label},{fold},{fold}{k}")  # the two clips of a class share a recording
    write(root / "metadata.csv", "file_name,label,fold,freesound_id\n" + "\n".join(rows) + "\n")
    return root


def rows_of(out: Path) -> list[dict[str, str]]:
    with open(out / "metadata.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_mixtures_stay_in_their_fold_and_are_labelled_with_every_class_present(src, tmp_path):
    out = prepare("us8k-mixtures", src, tmp_path / "out", mixtures_per_fold=30, seed=0)
    rows = rows_of(out)
    assert Counter(r["fold"] for r in rows) == {"1": 30, "3": 30, "10": 30}
    with open(src / "metadata.csv", newline="") as f:
        source_class = {r["file_name"]: (r["label"], r["fold"], r["freesound_id"]) for r in csv.DictReader(f)}
    for row in rows:
        sources = row["sources"].split(";")
        classes = [source_class[s][0] for s in sources]
        assert {source_class[s][1] for s in sources} == {row["fold"]}
        assert 1 <= len(sources) <= 3 and len(set(classes)) == len(classes)
        assert row["labels"].split(";") == sorted(classes) and row["freesound_id"].split(";") == [source_class[s][2] for s in sources]
        assert all(-6.0 <= float(g) <= 0.0 for g in row["gains_db"].split(";")) and len(row["gains_db"].split(";")) == len(sources)
        assert row["file_name"].startswith(f"fold{row['fold']}/")
    assert {len(r["sources"].split(";")) for r in rows} == {1, 2, 3}
    parts = load_parts(out, {"fold": {"3"}}, {"fold": {"10"}}, 16000)
    assert parts.multi_label and parts.labels == sorted(CLASSES)
    assert all(c.labels is not None and c.label == ";".join(c.labels) for c in parts.train + parts.test)


def test_a_mixture_is_its_sources_at_their_levels_gains_and_offsets(src, tmp_path):
    out = prepare("us8k-mixtures", src, tmp_path / "out", mixtures_per_fold=12, seed=3)
    for row in rows_of(out):
        mixture = read_audio(out / row["file_name"], SAMPLE_RATE)
        sources = [read_audio(src / name, SAMPLE_RATE) for name in row["sources"].split(";")]
        assert len(mixture) == max(len(s) for s in sources)
        assert np.max(np.abs(mixture)) <= PEAK + 1e-3
        if len(sources) == 1:  # one source: starts at 0, at -25 dBFS plus its gain (no peak scaling at this level)
            gain = 10 ** ((LEVEL_DBFS + float(row["gains_db"])) / 20)
            expected = sources[0] * gain / math.sqrt(float(np.mean(sources[0].astype(np.float64) ** 2)))
            np.testing.assert_allclose(mixture, expected, atol=2e-4)


def test_the_seed_decides_the_mixtures(src, tmp_path):
    a = prepare("us8k-mixtures", src, tmp_path / "a", mixtures_per_fold=10, seed=1)
    b = prepare("us8k-mixtures", src, tmp_path / "b", mixtures_per_fold=10, seed=1)
    c = prepare("us8k-mixtures", src, tmp_path / "c", mixtures_per_fold=10, seed=2)
    assert (a / "metadata.csv").read_bytes() == (b / "metadata.csv").read_bytes() != (c / "metadata.csv").read_bytes()
    name = rows_of(a)[0]["file_name"]
    np.testing.assert_array_equal(read_audio(a / name, SAMPLE_RATE), read_audio(b / name, SAMPLE_RATE))


def test_by_default_each_fold_gets_as_many_mixtures_as_clips(src, tmp_path):
    assert Counter(r["fold"] for r in rows_of(prepare("us8k-mixtures", src, tmp_path / "out"))) == {"1": 8, "3": 8, "10": 8}


def test_options_are_checked(src, tmp_path):
    with pytest.raises(SynthioError, match="esc50 takes no option seed"):
        prepare("esc50", src, tmp_path / "x", seed=1)
    with pytest.raises(SynthioError, match="mixtures_per_fold must be at least 1"):
        prepare("us8k-mixtures", src, tmp_path / "y", mixtures_per_fold=0)
    prepare("us8k-mixtures", src, tmp_path / "z", mixtures_per_fold=2)
    with pytest.raises(SynthioError, match="other settings"):
        prepare("us8k-mixtures", src, tmp_path / "z", mixtures_per_fold=3)


def test_cli_passes_the_options(src, tmp_path):
    result = CliRunner().invoke(app, ["prepare", "us8k-mixtures", str(src), str(tmp_path / "out"), "--mixtures-per-fold", "4", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert len(rows_of(tmp_path / "out")) == 12
    listing = CliRunner().invoke(app, ["prepare", "--list"]).output
    assert "us8k-mixtures" in listing and "--mixtures-per-fold" in listing
