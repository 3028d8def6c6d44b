import json

import numpy as np
import pytest

from synthio.errors import SynthioError
from synthio.pretraining.vocoder import VocoderTrainConfig, loudest_window, pretrain_vocoder
from synthio.t2a.vocoder import MelVocoder, VocoderConfig

SMALL = VocoderConfig(n_mels=16, dim=16, intermediate_dim=32, layers=1)


def test_loudest_window_finds_the_burst_and_pads_short_clips():
    samples = np.zeros(100, np.float32)
    samples[60:70] = 1.0
    assert np.array_equal(loudest_window(samples, 10, 5), np.ones(10, np.float32))
    assert np.array_equal(loudest_window(samples, 20, 5), samples[50:70])  # ties: the earliest
    assert np.array_equal(loudest_window(np.ones(3, np.float32), 5, 1), np.array([1, 1, 1, 0, 0], np.float32))


def test_vocoder_pretraining_caches_segments_resumes_and_exports(captioned_corpus, tmp_path, capsys):
    train = VocoderTrainConfig(steps=2, batch_size=2, crop_seconds=0.25, segment_seconds=0.5, checkpoint_every=1)
    pretrain_vocoder(captioned_corpus, tmp_path / "run", train, SMALL)
    segments = np.load(tmp_path / "run/segments.npz")["segments"]
    clips = len((captioned_corpus / "metadata.csv").read_text().splitlines()) - 1
    assert segments.shape == (clips, 8000) and segments.dtype == np.int16
    model = pretrain_vocoder(None, tmp_path / "run", VocoderTrainConfig(steps=3, batch_size=2, crop_seconds=0.25, segment_seconds=0.5, checkpoint_every=3), SMALL)
    assert "resuming after step 2" in capsys.readouterr().err.replace("\n", " ")
    assert [json.loads(line)["step"] for line in (tmp_path / "run/log.jsonl").read_text().splitlines()] == [1, 2, 3]
    assert MelVocoder.load(model).config == SMALL
    with pytest.raises(SynthioError, match="crop_seconds"):
        pretrain_vocoder(None, tmp_path / "run", VocoderTrainConfig(crop_seconds=1.0, segment_seconds=0.5), SMALL)
