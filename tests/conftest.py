"""Shared fixtures: tiny audiofolders made by the tests themselves."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from synthio.audio import write_audio

SAMPLE_RATE = 16000


SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name: str):
    """``scripts/{name}.py`` imported as a module (the scripts are not a package), registered in ``sys.modules`` so its dataclasses resolve."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tone(frequency: float, seconds: float = 0.5, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """A sine at ``frequency`` with a little seeded noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * frequency * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def make_folder(root: Path, per_class: dict[str, int], seconds: float = 0.5, extra_columns=None, test_per_class: int = 0) -> Path:
    """An audiofolder with ``per_class[label]`` train clips (split=train) and ``test_per_class`` test clips per label."""
    frequencies = {label: 200.0 * (i + 1) for i, label in enumerate(sorted(per_class))}
    rows = []
    for label, count in per_class.items():
        for split, k in (("train", count), ("test", test_per_class)):
            for i in range(k):
                name = f"{split}/{label}_{i}.wav"
                write_audio(root / name, tone(frequencies[label] * (1 + 0.02 * i), seconds, seed=i), SAMPLE_RATE)
                row = {"file_name": name, "label": label, "split": split}
                row.update((extra_columns or {}).get(name, {}))
                rows.append(row)
    write_metadata(root, rows)
    return root


def write_metadata(root: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "data", {"low": 8, "mid": 8, "high": 8}, test_per_class=4)


@pytest.fixture(scope="session")
def captioned_corpus(tmp_path_factory) -> Path:
    """The example dataset as a corpus: metadata.csv with file_name,label,caption (0.5-s clips)."""
    from synthio.example import write_example

    root = tmp_path_factory.mktemp("corpus")
    write_example(root, clips_per_class=3, seconds=0.5)
    with open(root / "metadata.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    write_metadata(root, [{"file_name": r["file_name"], "label": r["label"], "caption": f"Sound of a {r['label']}"} for r in rows])
    return root
