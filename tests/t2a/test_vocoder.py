"""The neural vocoder: shapes, persistence, the T2A switch, and that its training objective can be learned."""

import numpy as np
import pytest
import torch

from synthio.backends import BackendUnavailable, T2ASpec, load_t2a, load_vocoder
from synthio.errors import SynthioError
from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
from synthio.t2a.vocoder import MelVocoder, VocoderConfig, vocoder_loss
from synthio.text import MiniLMText

SMALL = VocoderConfig(n_mels=16, dim=16, intermediate_dim=32, layers=2)


def tone(hz: float, num_samples: int = 8000) -> torch.Tensor:
    return torch.from_numpy((0.5 * np.sin(2 * np.pi * hz * np.arange(num_samples) / 16000)).astype(np.float32))


def test_output_has_the_requested_length_and_one_row_per_mel():
    torch.manual_seed(0)
    model = MelVocoder(SMALL)
    mels = model.mel(torch.stack([tone(440), tone(880)]))
    assert mels.shape == (2, 16, 8000 // 512 + 1)
    for num_samples in (8000, 7900):
        audio = model(mels, num_samples)
        assert audio.shape == (2, num_samples) and torch.isfinite(audio).all()


def test_save_load_round_trip_gives_the_same_audio(tmp_path):
    torch.manual_seed(0)
    model = MelVocoder(SMALL).eval()
    model.fit_statistics(model.mel(tone(440)[None]))
    mel = model.mel(tone(660)[None])
    loaded = MelVocoder.load(model.save(tmp_path / "voc"))
    assert torch.equal(loaded.mel_mean, model.mel_mean)
    assert torch.equal(loaded(mel, 8000), model(mel, 8000))
    with pytest.raises(FileNotFoundError, match="pretrain vocoder"):
        MelVocoder.load(tmp_path / "missing")


def test_training_on_a_noisy_tone_lowers_both_losses_far():
    torch.manual_seed(0)
    model = MelVocoder(SMALL)
    target = (0.6 * tone(1000) + 0.1 * torch.randn(8000, generator=torch.Generator().manual_seed(0)))[None]
    model.fit_statistics(model.mel(target))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss, parts = vocoder_loss(model, model(model.mel(target), 8000), target)
        first = first or parts
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert parts["mel"] < 0.25 * first["mel"] and parts["stft"] < 0.75 * first["stft"]


def test_the_t2a_decodes_with_its_vocoder_and_refuses_one_for_another_mel():
    text = MiniLMText()
    t2a = TinyT2A(TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, max_text_tokens=8), text=text)
    torch.manual_seed(0)
    vocoder = MelVocoder(SMALL)
    t2a.set_vocoder(vocoder)
    mel = t2a.log_mel(tone(440)[None])
    assert torch.equal(mel, vocoder.mel(tone(440)[None]))
    assert np.array_equal(t2a.to_waveform(mel[0], 8000, seed=3), vocoder(mel, 8000)[0].detach().numpy())
    t2a.set_vocoder(None)
    assert not np.array_equal(t2a.to_waveform(mel[0], 8000, seed=3), vocoder(mel, 8000)[0].detach().numpy())
    with pytest.raises(SynthioError, match="64-band.*16-band.*pretrain vocoder"):
        t2a.set_vocoder(MelVocoder(VocoderConfig(n_mels=64, dim=16, intermediate_dim=32, layers=1)))


def test_the_backend_setting_picks_griffin_lim_a_folder_or_refuses(tmp_path):
    assert load_vocoder("griffin-lim") is None
    MelVocoder(VocoderConfig(dim=16, intermediate_dim=32, layers=1)).save(tmp_path / "voc")
    assert isinstance(load_vocoder(str(tmp_path / "voc")), MelVocoder)
    assert isinstance(load_t2a(T2ASpec(vocoder=str(tmp_path / "voc"))).vocoder, MelVocoder)
    with pytest.raises(BackendUnavailable, match="griffin-lim or a folder"):
        load_vocoder(str(tmp_path / "nothing"))
    with pytest.raises(BackendUnavailable, match="setting of the embedded T2A"):
        load_t2a(T2ASpec(backend="stable-audio", path=tmp_path, vocoder="griffin-lim"))


def test_griffin_lim_by_default_or_by_name_resumes_older_folders_a_vocoder_does_not(tmp_path):
    from synthio.align.run import AlignConfig
    from synthio.pipeline import AugmentConfig
    from tests.conftest import make_folder

    data = make_folder(tmp_path / "data", {"low": 1}, seconds=0.1)
    for kind in (AugmentConfig, AlignConfig):
        for vocoder, added_later in ((None, True), ("griffin-lim", True), (str(tmp_path / "voc"), False)):
            config = kind(data_dir=data, out=tmp_path / "out", n=1, t2a=T2ASpec(vocoder=vocoder))
            assert config.output_settings()["t2a"]["vocoder"] == vocoder
            assert ("vocoder" in config.added_later()["t2a"]) is added_later
