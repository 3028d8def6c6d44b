import shutil

import pytest

from synthio.pretraining.corpus.fluidsynth import Fluidsynth, midi_file, note_name


def test_note_names():
    assert [note_name(p) for p in (60, 69, 45, 61)] == ["C4", "A4", "A2", "C#4"]


def test_midi_file_bytes_for_one_note():
    data = midi_file(40, [(69, 100, 0.5)])
    assert data[:14] == b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0"
    track = data[22:]
    # program change, note on at 0, note off 480 ticks later (0.5 s at 960 ticks/s), end of track 2880 ticks later
    assert track == bytes([0x00, 0xC0, 40, 0x00, 0x90, 69, 100, 0x83, 0x60, 0x80, 69, 0, 0x96, 0x40, 0xFF, 0x2F, 0x00])
    assert int.from_bytes(data[18:22], "big") == len(track)


def test_unavailable_without_binary(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get install fluidsynth" in Fluidsynth().available()
    monkeypatch.undo()
    if shutil.which("fluidsynth"):
        assert "not found" in Fluidsynth(soundfont=tmp_path / "none.sf2").available()


@pytest.mark.skipif(shutil.which("fluidsynth") is None or Fluidsynth().available() is not None, reason="fluidsynth and fluid-soundfont-gm not installed")
def test_renders_one_clip_per_note():
    items = list(Fluidsynth(instruments={"flute": 73}).items(set()))
    assert len(items) == len(Fluidsynth(instruments={"flute": 73}).keys()) == 24
    assert items[0].text == "Sound of a flute note, A2, played softly, short" and items[0].sample_rate == 16000
    assert all(abs(it.samples).max() > 1e-3 for it in items)
