import json

import numpy as np
import pytest

from synthio.align.pairs import make_pairs, read_losers
from synthio.dataset import Clip
from tests.align.helpers import small_t2a

pytestmark = pytest.mark.filterwarnings("ignore")


def clips():
    return [Clip(f"{label}_{i}.wav", label, np.zeros(4000 + 2000 * i, np.float32), 16000) for i, label in enumerate(["dog", "rain", "dog"])]


def test_losers_follow_their_winner_and_are_generated_once(tmp_path):
    model = small_t2a()
    calls = []
    sample = model.sample
    model.sample = lambda *args: calls.append(len(args[0])) or sample(*args)
    pairs = make_pairs(model, clips(), tmp_path, 2, seed=0, steps=2, guidance=2.0)
    assert [p.winner for p in pairs] == [0, 0, 1, 1, 2, 2] and pairs[2].prompt == "Sound of a rain"
    assert [len(w) for w in read_losers(pairs, 16000)] == [4000, 4000, 6000, 6000, 8000, 8000]
    assert len({p.seed for p in pairs}) == 6 and sum(calls) == 6
    again = make_pairs(model, clips(), tmp_path, 2, seed=0, steps=2, guidance=2.0)
    assert again == pairs and sum(calls) == 6
    make_pairs(model, clips(), tmp_path, 2, seed=0, steps=2, guidance=3.0)
    assert sum(calls) == 12


def test_a_half_written_manifest_line_and_a_missing_file_are_regenerated(tmp_path):
    model = small_t2a()
    pairs = make_pairs(model, clips(), tmp_path, 1, seed=0, steps=2, guidance=2.0)
    pairs[1].loser_path.unlink()
    with open(tmp_path / "pairs.jsonl", "a") as f:
        f.write('{"winner": "dog_0.wav", "lab')
    again = make_pairs(model, clips(), tmp_path, 1, seed=0, steps=2, guidance=2.0)
    assert all(p.loser_path.is_file() for p in again)
    rows = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()[:3]]
    assert [r["winner"] for r in rows] == ["dog_0.wav", "rain_1.wav", "dog_2.wav"]
