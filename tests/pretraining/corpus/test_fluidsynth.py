import shutil
from pathlib import Path

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


def test_midi_file_changes_program_between_instruments():
    data = midi_file(40, [(60, 100, 0.5, 40), (60, 100, 0.5, 56)], slot_seconds=1.0)
    track = data[22:]
    # first note on program 40, then a program change to 56 at the second slot (960 ticks = 1 s)
    assert track[:3] == bytes([0x00, 0xC0, 40]) and bytes([0xC0, 56]) in track
    assert track.index(bytes([0xC0, 56])) < track.rindex(bytes([0x90, 60, 100]))


def test_general_midi_programs_and_captions():
    from synthio.pretraining.corpus.fluidsynth import GM_DRUMS, GM_PROGRAMS, soundfont_sources

    assert len(GM_PROGRAMS) == 128 and GM_PROGRAMS["violin"] == 40 and GM_PROGRAMS["helicopter"] == 125 and GM_PROGRAMS["gunshot"] == 127
    melodic = Fluidsynth(instruments={"acoustic bass": 32, "helicopter": 125}, pitches=[69], velocities={"softly": 40}, lengths={"long": 1.0})
    assert melodic.text("acoustic bass", 69, "softly", "long") == "Sound of an acoustic bass note, A4, played softly, long"
    assert melodic.text("helicopter", 69, "softly", "long") == "Sound of a helicopter, played softly, long"
    drums = Fluidsynth(instruments={"crash cymbal": 49}, drums=True, velocities={"loudly": 120}, lengths={"": 0.5})
    assert drums.text("crash cymbal", 0, "loudly", "") == "Sound of a crash cymbal hit, played loudly" and drums.keys() == ["crash_cymbal__120_5"]
    sources = soundfont_sources()
    assert len({s.name for s in sources}) == len(sources) == 6
    assert sum(len(s.keys()) for s in sources) == 2 * 128 * 7 * 3 * 3 + 2 * len(GM_DRUMS) * 4 + 2 * 21 * 4
    wide = sources[0]
    assert len(wide._groups()) < 128 and sum(len(g) for g in wide._groups()) == 128


@pytest.mark.skipif(shutil.which("fluidsynth") is None or not Path("/usr/share/sounds/sf2/TimGM6mb.sf2").is_file(), reason="fluidsynth and timgm6mb-soundfont not installed")
def test_renders_two_programs_in_one_start():
    source = Fluidsynth(Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), {"flute": 73, "gunshot": 127}, "t", "timgm6mb-soundfont", "GPL-2", [69], {"loudly": 110}, {"short": 0.3}, render_seconds=60)
    assert source._groups() == [["flute", "gunshot"]]
    items = list(source.items(set()))
    assert [i.text for i in items] == ["Sound of a flute note, A4, played loudly, short", "Sound of a gunshot, played loudly, short"]
    assert all(abs(i.samples).max() > 1e-3 for i in items)
