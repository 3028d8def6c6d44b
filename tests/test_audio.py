import numpy as np
import pytest
import soundfile as sf
import torch

from synthio.audio import AudioError, LogMel, fit_duration, hz_to_mel, level_problem, mel_filterbank, mel_to_hz, mix_down, read_audio, resample, write_audio


def test_write_read_round_trip(tmp_path):
    x = np.linspace(-0.5, 0.5, 800, dtype=np.float32)
    write_audio(tmp_path / "a.wav", x, 8000)
    np.testing.assert_array_equal(read_audio(tmp_path / "a.wav", 8000), x)


@pytest.mark.parametrize("suffix", [".flac", ".ogg"])
def test_reads_compressed_formats(tmp_path, suffix):
    x = 0.3 * np.sin(np.arange(16000) / 10).astype(np.float32)
    write_audio(tmp_path / f"a{suffix}", x, 16000)
    y = read_audio(tmp_path / f"a{suffix}", 16000)
    assert y.shape == (16000,) and np.abs(y - x).max() < 0.05


def test_stereo_is_mixed_down_and_resampled(tmp_path):
    left, right = np.full(4410, 0.2, np.float32), np.full(4410, 0.4, np.float32)
    sf.write(tmp_path / "s.wav", np.stack([left, right], 1), 44100, subtype="FLOAT")
    y = read_audio(tmp_path / "s.wav", 16000)
    assert y.shape == (1600,)
    assert abs(float(y[400:1200].mean()) - 0.3) < 1e-3


def test_resample_changes_length_exactly_and_keeps_a_tone():
    t = np.arange(8000) / 8000
    x = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    y = resample(x, 8000, 16000)
    assert y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 16000 / len(y) - 440) < 2
    assert resample(x, 8000, 8000) is not None and np.array_equal(resample(x, 8000, 8000), x)
    with pytest.raises(ValueError):
        resample(x, 0, 16000)


def test_fit_duration_pad_loop_crop():
    x = np.array([1, 2, 3], np.float32)
    np.testing.assert_array_equal(fit_duration(x, 5), [1, 2, 3, 0, 0])
    np.testing.assert_array_equal(fit_duration(x, 7, "loop"), [1, 2, 3, 1, 2, 3, 1])
    np.testing.assert_array_equal(fit_duration(x, 2, offset=1), [2, 3])
    np.testing.assert_array_equal(fit_duration(x, 2, offset=9), [2, 3])
    with pytest.raises(ValueError, match="mono"):
        fit_duration(np.zeros((2, 3), np.float32), 2)
    with pytest.raises(ValueError, match="empty"):
        fit_duration(np.zeros(0, np.float32), 2)
    with pytest.raises(ValueError, match="mode"):
        fit_duration(x, 5, "reflect")


def test_mix_down_rejects_mono_shape():
    np.testing.assert_array_equal(mix_down(np.array([[1.0, 3.0], [3.0, 5.0]])), [2.0, 4.0])
    with pytest.raises(ValueError):
        mix_down(np.zeros(3))


def test_bad_files_raise_named_errors(tmp_path):
    with pytest.raises(AudioError, match="missing"):
        read_audio(tmp_path / "nope.wav", 16000)
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        read_audio(tmp_path / "empty.wav", 16000)
    write_audio(tmp_path / "full.wav", np.zeros(16000, np.float32), 16000)
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError, match="truncated"):
        read_audio(tmp_path / "cut.wav", 16000)
    sf.write(tmp_path / "nan.wav", np.full(100, np.nan, np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="non-finite") as info:
        read_audio(tmp_path / "nan.wav", 16000)
    assert "nan.wav" in str(info.value) and info.value.kind == "non-finite"
    (tmp_path / "text.wav").write_text("not audio at all")
    with pytest.raises(AudioError, match="unreadable"):
        read_audio(tmp_path / "text.wav", 16000)


def test_write_refuses_nan_and_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        write_audio(tmp_path / "a.wav", np.array([np.nan], np.float32), 16000)
    with pytest.raises(ValueError, match="suffix|use"):
        write_audio(tmp_path / "a.xyz", np.zeros(4, np.float32), 16000)
    assert list(tmp_path.iterdir()) == []


def test_mel_scale_exact_values():
    assert float(hz_to_mel(700.0)) == pytest.approx(2595.0 * np.log10(2.0))
    assert float(mel_to_hz(hz_to_mel(1234.5))) == pytest.approx(1234.5)


def test_mel_filterbank_shape_and_peaks():
    fb = mel_filterbank(16000, 512, 20)
    assert fb.shape == (20, 257)
    assert fb.min() == 0.0 and fb.max() <= 1.0
    assert (fb.max(axis=1) > 0.5).all()
    centres = fb.argmax(axis=1)
    assert (np.diff(centres) > 0).all()
    with pytest.raises(ValueError):
        mel_filterbank(16000, 512, 20, f_max=9000)


def test_logmel_shape_and_peak_bin():
    logmel = LogMel(16000, n_fft=512, hop_length=256, n_mels=32)
    t = torch.arange(16000) / 16000
    x = torch.stack([torch.sin(2 * torch.pi * 300 * t), torch.sin(2 * torch.pi * 3000 * t)])
    y = logmel(x)
    assert y.shape == (2, logmel.num_frames(16000), 32) == (2, 63, 32)
    assert y[0].mean(0).argmax() < y[1].mean(0).argmax()
    with pytest.raises(ValueError):
        logmel(torch.zeros(16000))


def test_written_files_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = write_audio(tmp_path / "a.wav", np.zeros(10, np.float32), 16000)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644 and [p.name for p in tmp_path.iterdir()] == ["a.wav"]


def test_an_unwritable_target_names_the_file(tmp_path):
    from synthio.audio import AudioWriteError

    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(AudioWriteError, match=r"cannot write .*taken/a\.wav .*writable"):
        write_audio(tmp_path / "taken/a.wav", np.zeros(10, np.float32), 16000)


def test_level_problem_reads_each_channel_at_the_files_own_rate(tmp_path):
    t = np.arange(44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "tone.wav", tone, 44100)
    sf.write(tmp_path / "silent.wav", np.zeros(8000), 16000)
    sf.write(tmp_path / "opposed.wav", np.stack([tone, -tone], 1), 44100)  # mixes down to silence, is not silent
    sf.write(tmp_path / "clipped.wav", np.clip(4 * tone, -1, 1), 44100)  # resampling to 16 kHz would round off the flat tops
    sf.write(tmp_path / "left.wav", np.stack([np.clip(4 * tone, -1, 1), 0.1 * tone], 1), 44100)
    sf.write(tmp_path / "u8.wav", np.clip(4 * tone, -1, 1), 44100, subtype="PCM_U8")  # full scale reads 0.992
    assert level_problem(tmp_path / "tone.wav") is None and level_problem(tmp_path / "opposed.wav") is None
    assert level_problem(tmp_path / "silent.wav") == "silent (peak 0.0e+00, under 0.0001 = -80 dBFS)"
    assert level_problem(tmp_path / "clipped.wav").startswith("clipped (") and "of its samples" in level_problem(tmp_path / "clipped.wav")
    assert "of one channel's samples at full scale" in level_problem(tmp_path / "left.wav")
    assert level_problem(tmp_path / "u8.wav").startswith("clipped (")
