"""Notes rendered with ``fluidsynth`` from a General MIDI soundfont (Debian ``fluid-soundfont-gm``, MIT).

Each instrument is rendered once as a MIDI file of spaced notes (one fluidsynth start per
instrument, not per note) and cut into one clip per note. Captions name the instrument, the
pitch, the dynamics and the length: "Sound of a violin note, A4, played softly, long".
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from synthio.audio import read_audio
from synthio.pretraining.corpus.base import CorpusItem

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
INSTRUMENTS = {
    "piano": 0, "harpsichord": 6, "celesta": 8, "vibraphone": 11, "marimba": 12, "church organ": 19, "accordion": 21,
    "nylon guitar": 24, "electric guitar": 26, "distorted guitar": 30, "acoustic bass": 32, "violin": 40, "viola": 41,
    "cello": 42, "harp": 46, "timpani": 47, "choir": 52, "trumpet": 56, "trombone": 57, "french horn": 60, "saxophone": 65,
    "oboe": 68, "bassoon": 70, "clarinet": 71, "flute": 73, "pan flute": 75, "ocarina": 79, "synth lead": 80, "synth pad": 88,
    "sitar": 104, "banjo": 105, "kalimba": 108, "bagpipe": 109, "steel drums": 114, "woodblock": 115, "taiko drum": 116,
}
PITCHES = [45, 52, 57, 64, 69, 76]
VELOCITIES = {"softly": 45, "loudly": 115}
LENGTHS = {"short": 0.4, "long": 1.6}
NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
SLOT_SECONDS = 3.0
TICKS_PER_SECOND = 960  # 480 ticks per quarter at 120 bpm


def note_name(pitch: int) -> str:
    """MIDI 69 -> "A4"."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def midi_file(program: int, notes: list[tuple[int, int, float]]) -> bytes:
    """A format-0 MIDI file: program change, then each (pitch, velocity, seconds) note in its own 3-s slot."""
    events = bytes([0x00, 0xC0, program])
    cursor = 0
    for slot, (pitch, velocity, seconds) in enumerate(notes):
        start, stop = int(slot * SLOT_SECONDS * TICKS_PER_SECOND), int((slot * SLOT_SECONDS + seconds) * TICKS_PER_SECOND)
        events += _vlq(start - cursor) + bytes([0x90, pitch, velocity]) + _vlq(stop - start) + bytes([0x80, pitch, 0])
        cursor = stop
    events += _vlq(int(SLOT_SECONDS * TICKS_PER_SECOND)) + bytes([0xFF, 0x2F, 0x00])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    return header + b"MTrk" + struct.pack(">I", len(events)) + events


class Fluidsynth:
    """Every instrument x pitch x dynamics x length, rendered at 16 kHz."""

    name = "fluidsynth"
    licence = "MIT (FluidR3_GM soundfont)"

    def __init__(self, soundfont: Path = SOUNDFONT, instruments: dict[str, int] | None = None):
        self.soundfont = Path(soundfont)
        self.instruments = instruments or INSTRUMENTS

    def available(self) -> str | None:
        if shutil.which("fluidsynth") is None:
            return "fluidsynth not found (apt-get install fluidsynth fluid-soundfont-gm)"
        return None if self.soundfont.is_file() else f"{self.soundfont} not found (apt-get install fluid-soundfont-gm)"

    def _notes(self) -> list[tuple[int, int, float, str]]:
        return [(p, v, s, f"{note_name(p)}, played {dyn}, {length}") for p in PITCHES for dyn, v in VELOCITIES.items() for length, s in LENGTHS.items()]

    def keys(self) -> list[str]:
        return [f"{inst.replace(' ', '_')}__{p}_{v}_{int(s * 10)}" for inst in self.instruments for p, v, s, _ in self._notes()]

    def render(self, program: int, notes: list[tuple[int, int, float]]) -> np.ndarray:
        """The whole note sequence as mono 16 kHz samples."""
        with tempfile.TemporaryDirectory() as tmp:
            mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
            mid.write_bytes(midi_file(program, notes))
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", "16000", "-F", str(wav), str(self.soundfont), str(mid)], check=True, capture_output=True)
            return read_audio(wav, 16000)

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        notes = self._notes()
        for instrument, program in self.instruments.items():
            keys = [f"{instrument.replace(' ', '_')}__{p}_{v}_{int(s * 10)}" for p, v, s, _ in notes]
            if all(k in skip for k in keys):
                continue
            audio = self.render(program, [(p, v, s) for p, v, s, _ in notes])
            for slot, (key, (_, _, seconds, words)) in enumerate(zip(keys, notes)):
                if key in skip:
                    continue
                start = int(slot * SLOT_SECONDS * 16000)
                clip = audio[start : start + int((seconds + 1.0) * 16000)]
                yield CorpusItem(key, f"{instrument} note", f"Sound of a {instrument} note, {words}", clip, 16000)
