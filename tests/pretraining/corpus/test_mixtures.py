import json

import numpy as np

from synthio.audio import write_audio
from synthio.pretraining.corpus.base import build_corpus
from synthio.pretraining.corpus.mixtures import Mixtures, is_background, phrase


def built(tmp_path):
    """A corpus folder as the other sources leave it: rows files and their clips."""
    rows = {"urbansound8k": [("dog_bark", "Sound of a dog bark"), ("car_horn", "Sound of a car horn"), ("air_conditioner", "Sound of a air conditioner")],
            "supertuxkart": [("rain", "Sound of rain")], "fsdd": [("7", "Sound of a 7, a voice saying seven")]}
    rng = np.random.default_rng(0)
    for source, entries in rows.items():
        lines = []
        for i, (label, text) in enumerate(entries):
            file_name = f"{source}/{i}.flac"
            write_audio(tmp_path / file_name, (0.2 * rng.standard_normal(8000 + 4000 * i)).astype(np.float32), 16000)
            lines.append(json.dumps({"key": str(i), "file_name": file_name, "label": label, "caption": text + ": loud", "source": source, "text": text}))
        (tmp_path / f"{source}.rows.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_phrases_and_backgrounds():
    assert phrase({"text": "Sound of a air conditioner", "caption": ""}) == "an air conditioner"
    assert phrase({"text": "Sound of a 7, a voice saying seven", "caption": ""}) == "a voice saying seven"
    assert phrase({"caption": "Sound of a violin note, A4, played softly: loud", "label": "violin note"}) == "a violin note"
    assert is_background({"label": "air_conditioner", "caption": "Sound of a air conditioner"})
    assert not is_background({"label": "dog_bark", "caption": "Sound of a dog bark"})
    assert not is_background({"label": "vulcan", "caption": "Sound of a rapid-fire gun"}) and is_background({"label": "rain", "caption": "Sound of rain"})


def test_mixture_captions_name_both_sounds_and_are_deterministic(tmp_path):
    corpus = built(tmp_path)
    names = ["urbansound8k", "supertuxkart", "fsdd"]
    source = Mixtures(corpus, names, count=12, seed=3)
    assert source.available() is None
    items = list(source.items(set()))
    assert [i.key for i in items] == source.keys() and len(items) == 12
    events = {"a dog bark", "a car horn", "a voice saying seven"}
    for item in items[0::2]:
        event, _, background = item.text.removeprefix("Sound of ").partition(" over ")
        assert event in events and background in {"an air conditioner", "rain"}
    for item in items[1::2]:
        first, _, second = item.text.removeprefix("Sound of ").partition(" and ")
        assert first in events and second in events and first != second
    assert all(len(i.samples) == 64000 and np.abs(i.samples).max() <= 0.9 + 1e-6 for i in items)
    again = list(Mixtures(corpus, names, count=12, seed=3).items(set()))
    assert [i.text for i in again] == [i.text for i in items] and all(np.array_equal(a.samples, b.samples) for a, b in zip(items, again))
    other = list(Mixtures(corpus, names, count=12, seed=4).items(set()))
    assert [i.text for i in other] != [i.text for i in items]


def test_mixtures_wait_for_built_clips_and_join_the_corpus(tmp_path):
    assert "build the other sources first" in Mixtures(tmp_path, ["urbansound8k"]).available()
    assert "corpus folder" in Mixtures(None, ["urbansound8k"]).available()
    corpus = built(tmp_path)
    out = build_corpus([Mixtures(corpus, ["urbansound8k", "supertuxkart"], count=4, seed=0)], corpus)
    stats = json.loads((out / "corpus_stats.json").read_text())
    assert stats["mixtures"]["clips"] == 4 and abs(stats["mixtures"]["hours"] - 4 * 4 / 3600) < 1e-3


def test_two_event_mixtures_pair_different_sounds_and_are_skipped_when_all_sound_the_same(tmp_path, capsys):
    """Three events with one phrase (plus one with another): every "and" mixture pairs two different phrases; with one phrase only they are skipped, not looped on."""
    rows = [("dog_bark", "Sound of a dog bark")] * 3 + [("car_horn", "Sound of a car horn")]
    lines = []
    for i, (label, text) in enumerate(rows + [("rain", "Sound of rain")]):
        write_audio(tmp_path / f"x/{i}.flac", (0.2 * np.random.default_rng(i).standard_normal(8000)).astype(np.float32), 16000)
        lines.append(json.dumps({"key": str(i), "file_name": f"x/{i}.flac", "label": label, "caption": text, "source": "x", "text": text}))
    (tmp_path / "x.rows.jsonl").write_text("\n".join(lines) + "\n")
    plan = Mixtures(tmp_path, ["x"], count=40, seed=1).plan()
    pairs = [(phrase(first), phrase(second)) for kind, first, second, _ in plan[1::2]]
    assert len(pairs) == 20 and all(a != b for a, b in pairs) and {a for a, _ in pairs} == {"a dog bark", "a car horn"}
    (tmp_path / "x.rows.jsonl").write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    source = Mixtures(tmp_path, ["x"], count=6, seed=1)
    assert source.plan()[1::2] == [None] * 3
    items = list(source.items(set()))
    assert [i.key for i in items] == ["mix_00000", "mix_00002", "mix_00004"] and all(" over " in i.text for i in items)
    assert "skipped 3 two-event mixtures" in " ".join(capsys.readouterr().err.split())
