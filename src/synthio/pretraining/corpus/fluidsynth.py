"""Notes rendered with ``fluidsynth`` from soundfonts (one parametrised source per soundfont).

Each instrument is rendered once as a MIDI file of spaced notes (one fluidsynth start per
instrument, not per note) and cut into one clip per note. Captions name the instrument, the
pitch, the dynamics and the length: "Sound of a violin note, A4, played softly, long"; drum kits
(channel 10) name the drum instead: "Sound of a crash cymbal hit, played loudly, long".
``Fluidsynth()`` is the original FluidR3_GM source; ``soundfont_sources()`` adds the other
soundfonts over all 128 General MIDI programs and their drum kits.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from synthio.audio import read_audio
from synthio.pretraining.corpus.base import CorpusItem, article

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
INSTRUMENTS = {
    "piano": 0, "harpsichord": 6, "celesta": 8, "vibraphone": 11, "marimba": 12, "church organ": 19, "accordion": 21,
    "nylon guitar": 24, "electric guitar": 26, "distorted guitar": 30, "acoustic bass": 32, "violin": 40, "viola": 41,
    "cello": 42, "harp": 46, "timpani": 47, "choir": 52, "trumpet": 56, "trombone": 57, "french horn": 60, "saxophone": 65,
    "oboe": 68, "bassoon": 70, "clarinet": 71, "flute": 73, "pan flute": 75, "ocarina": 79, "synth lead": 80, "synth pad": 88,
    "sitar": 104, "banjo": 105, "kalimba": 108, "bagpipe": 109, "steel drums": 114, "woodblock": 115, "taiko drum": 116,
}
PITCHES = [45, 52, 57, 64, 69, 76]
GM_NAMES = """grand piano|bright piano|electric grand piano|honky-tonk piano|electric piano|chorused electric piano|harpsichord|clavinet|celesta|glockenspiel|
music box|vibraphone|marimba|xylophone|tubular bells|dulcimer|drawbar organ|percussive organ|rock organ|church organ|reed organ|accordion|harmonica|tango accordion|
nylon guitar|steel guitar|jazz guitar|clean electric guitar|muted electric guitar|overdriven guitar|distorted guitar|guitar harmonics|acoustic bass|fingered bass|
picked bass|fretless bass|slap bass|popped bass|synth bass|second synth bass|violin|viola|cello|contrabass|tremolo strings|pizzicato strings|harp|timpani|
string ensemble|slow string ensemble|synth strings|second synth strings|choir singing aah|voice singing ooh|synth voice|orchestra hit|trumpet|trombone|tuba|
muted trumpet|french horn|brass section|synth brass|second synth brass|soprano saxophone|alto saxophone|tenor saxophone|baritone saxophone|oboe|english horn|bassoon|
clarinet|piccolo|flute|recorder|pan flute|blown bottle|shakuhachi|whistle|ocarina|square wave synth lead|sawtooth synth lead|calliope|chiff synth lead|charang|
voice synth lead|fifths synth lead|bass and synth lead|new age synth pad|warm synth pad|polysynth pad|choir synth pad|bowed synth pad|metallic synth pad|halo synth pad|
sweep synth pad|rain synth effect|soundtrack synth effect|crystal synth effect|atmosphere synth effect|brightness synth effect|goblins synth effect|echoes synth effect|
sci-fi synth effect|sitar|banjo|shamisen|koto|kalimba|bagpipe|fiddle|shanai|tinkle bell|agogo|steel drums|woodblock|taiko drum|melodic tom|synth drum|
reverse cymbal|guitar fret noise|breath noise|seashore|bird tweet|telephone ring|helicopter|applause|gunshot"""
GM_PROGRAMS = {name.strip(): program for program, name in enumerate(GM_NAMES.replace("\n", "").split("|"))}
GM_EFFECTS = set(range(119, 128))  # reverse cymbal .. gunshot: sounds, not notes
GM_DRUMS = {
    "acoustic bass drum": 35, "bass drum": 36, "side stick": 37, "snare drum": 38, "hand clap": 39, "electric snare drum": 40, "low floor tom": 41,
    "closed hi-hat": 42, "high floor tom": 43, "pedal hi-hat": 44, "low tom": 45, "open hi-hat": 46, "low mid tom": 47, "high mid tom": 48,
    "crash cymbal": 49, "high tom": 50, "ride cymbal": 51, "chinese cymbal": 52, "ride bell": 53, "tambourine": 54, "splash cymbal": 55, "cowbell": 56,
    "second crash cymbal": 57, "vibraslap": 58, "second ride cymbal": 59, "high bongo": 60, "low bongo": 61, "muted high conga": 62, "open high conga": 63,
    "low conga": 64, "high timbale": 65, "low timbale": 66, "high agogo": 67, "low agogo": 68, "cabasa": 69, "maracas": 70, "short whistle": 71,
    "long whistle": 72, "short guiro": 73, "long guiro": 74, "claves": 75, "high woodblock": 76, "low woodblock": 77, "muted cuica": 78, "open cuica": 79,
    "muted triangle": 80, "open triangle": 81,
}
AVL_DRUMS = {name: key for name, key in GM_DRUMS.items() if key in {35, 36, 37, 38, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 57, 59}}
WIDE_PITCHES = [36, 45, 52, 60, 67, 74, 84]
WIDE_VELOCITIES = {"softly": 40, "moderately": 80, "loudly": 120}
WIDE_LENGTHS = {"short": 0.3, "medium": 1.0, "long": 2.2}
DRUM_VELOCITIES = {"very softly": 25, "softly": 50, "moderately": 85, "loudly": 120}
DRUM_LENGTHS = {"": 0.5}  # a hit rings the same whatever the note length
MUSESCORE = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")
TIMGM6MB = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
AVL_RED_ZEPPELIN = Path("/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2")
AVL_BLACK_PEARL = Path("/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2")
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


def midi_file(program: int, notes: list[tuple[int, int, float]] | list[tuple[int, int, float, int]], channel: int = 0, slot_seconds: float = SLOT_SECONDS) -> bytes:
    """A format-0 MIDI file: program change, then each (pitch, velocity, seconds[, program]) note in its own slot.

    A note that names another program is preceded by a program change, so one file can play several instruments in turn.
    """
    events = bytes([0x00, 0xC0 | channel, program])
    cursor, current = 0, program
    for slot, (pitch, velocity, seconds, *rest) in enumerate(notes):
        start, stop = int(slot * slot_seconds * TICKS_PER_SECOND), int((slot * slot_seconds + seconds) * TICKS_PER_SECOND)
        if rest and rest[0] != current:
            current = rest[0]
            events += _vlq(start - cursor) + bytes([0xC0 | channel, current])
            cursor = start
        events += _vlq(start - cursor) + bytes([0x90 | channel, pitch, velocity]) + _vlq(stop - start) + bytes([0x80 | channel, pitch, 0])
        cursor = stop
    events += _vlq(int(slot_seconds * TICKS_PER_SECOND)) + bytes([0xFF, 0x2F, 0x00])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    return header + b"MTrk" + struct.pack(">I", len(events)) + events


class Fluidsynth:
    """Every instrument x pitch x dynamics x length of one soundfont, rendered at 16 kHz.

    ``instruments`` maps a name to a General MIDI program; with ``drums`` it maps a drum name to
    its key on ``drum_channel`` (0-based; a drum-kit soundfont with its kit in bank 0 plays on 0),
    and the pitch list is not used. ``render_seconds`` > 0 renders several instruments per
    fluidsynth start, up to that much audio (for soundfonts that are slow to load, such as .sf3).
    """

    def __init__(self, soundfont: Path = SOUNDFONT, instruments: dict[str, int] | None = None, name: str = "fluidsynth", package: str = "fluid-soundfont-gm",
                 licence: str = "MIT (FluidR3_GM soundfont)", pitches: list[int] | None = None, velocities: dict[str, int] | None = None,
                 lengths: dict[str, float] | None = None, drums: bool = False, drum_channel: int = 9, render_seconds: float = 0.0):
        self.soundfont, self.name, self.licence, self.drums = Path(soundfont), name, licence, drums
        self.instruments = instruments or (GM_DRUMS if drums else INSTRUMENTS)
        self.pitches, self.velocities, self.lengths = pitches or PITCHES, velocities or VELOCITIES, lengths or LENGTHS
        self.slot_seconds = max(SLOT_SECONDS, max(self.lengths.values()) + 1.5)
        self.requires = {"fluidsynth": "fluidsynth", package: str(self.soundfont)}
        self.drum_channel, self.render_seconds = drum_channel, render_seconds

    def available(self) -> str | None:
        package = [k for k in self.requires if k != "fluidsynth"][0]
        if shutil.which("fluidsynth") is None:
            return f"fluidsynth not found (apt-get install fluidsynth {package})"
        return None if self.soundfont.is_file() else f"{self.soundfont} not found (apt-get install {package})"

    def _notes(self) -> list[tuple[int, int, float, str, str]]:
        """(pitch, velocity, seconds, dynamics word, length word) for one instrument; drums play their own key (pitch 0 here)."""
        pitches = [0] if self.drums else self.pitches
        return [(p, v, s, dyn, length) for p in pitches for dyn, v in self.velocities.items() for length, s in self.lengths.items()]

    def _keys(self, instrument: str) -> list[str]:
        stem = re.sub(r"[^a-z0-9]+", "_", instrument.lower()).strip("_")
        if self.drums:
            return [f"{stem}__{v}_{int(s * 10)}" for _, v, s, _, _ in self._notes()]
        return [f"{stem}__{p}_{v}_{int(s * 10)}" for p, v, s, _, _ in self._notes()]

    def keys(self) -> list[str]:
        return [k for inst in self.instruments for k in self._keys(inst)]

    def label(self, instrument: str) -> str:
        """``"violin note"``; an effects program is itself (``"helicopter"``); a drum is ``"snare drum hit"``."""
        if self.drums:
            return f"{instrument} hit"
        return instrument if self.instruments[instrument] in GM_EFFECTS else f"{instrument} note"

    def text(self, instrument: str, pitch: int, dynamics: str, length: str) -> str:
        """``"Sound of a violin note, A4, played softly, long"``; effects and drums leave the pitch out."""
        noun = self.label(instrument)
        pitch_words = "" if self.drums or self.instruments[instrument] in GM_EFFECTS else f"{note_name(pitch)}, "
        return f"Sound of {article(noun)} {noun}, {pitch_words}played {dynamics}" + (f", {length}" if length else "")

    def render(self, program: int, notes: list[tuple[int, int, float]] | list[tuple[int, int, float, int]]) -> np.ndarray:
        """The whole note sequence as mono 16 kHz samples (drums on ``drum_channel``)."""
        channel = self.drum_channel if self.drums else 0
        with tempfile.TemporaryDirectory() as tmp:
            mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
            mid.write_bytes(midi_file(0 if self.drums else program, notes, channel, self.slot_seconds))
            subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", "16000", "-F", str(wav), str(self.soundfont), str(mid)], check=True, capture_output=True)
            return read_audio(wav, 16000)

    def _groups(self) -> list[list[str]]:
        """Instruments rendered together in one fluidsynth start."""
        per_group = max(1, int(self.render_seconds // (len(self._notes()) * self.slot_seconds))) if self.render_seconds > 0 else 1
        names = list(self.instruments)
        return [names[i : i + per_group] for i in range(0, len(names), per_group)]

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        notes = self._notes()
        for group in self._groups():
            group = [inst for inst in group if not all(k in skip for k in self._keys(inst))]
            if not group:
                continue
            sequence = [(self.instruments[inst] if self.drums else p, v, s, 0 if self.drums else self.instruments[inst]) for inst in group for p, v, s, _, _ in notes]
            audio = self.render(0 if self.drums else self.instruments[group[0]], sequence)
            for g, instrument in enumerate(group):
                for n, (key, (pitch, _, seconds, dynamics, length)) in enumerate(zip(self._keys(instrument), notes)):
                    if key in skip:
                        continue
                    start = int((g * len(notes) + n) * self.slot_seconds * 16000)
                    clip = audio[start : start + int((seconds + 1.0) * 16000)]
                    yield CorpusItem(key, self.label(instrument), self.text(instrument, pitch, dynamics, length), clip, 16000)


def soundfont_sources() -> list[Fluidsynth]:
    """The other General MIDI soundfonts over all 128 programs, plus every soundfont's drum kit."""
    wide = {"pitches": WIDE_PITCHES, "velocities": WIDE_VELOCITIES, "lengths": WIDE_LENGTHS}
    drum = {"velocities": DRUM_VELOCITIES, "lengths": DRUM_LENGTHS, "drums": True}
    return [
        Fluidsynth(MUSESCORE, GM_PROGRAMS, "fluidsynth_musescore", "musescore-general-soundfont", "MIT (MuseScore_General soundfont)", **wide, render_seconds=1800),
        Fluidsynth(TIMGM6MB, GM_PROGRAMS, "fluidsynth_timgm6mb", "timgm6mb-soundfont", "GPL-2 (TimGM6mb soundfont)", **wide),
        Fluidsynth(SOUNDFONT, GM_DRUMS, "fluidsynth_drums_fluidr3", "fluid-soundfont-gm", "MIT (FluidR3_GM soundfont)", **drum),
        Fluidsynth(MUSESCORE, GM_DRUMS, "fluidsynth_drums_musescore", "musescore-general-soundfont", "MIT (MuseScore_General soundfont)", **drum, render_seconds=1800),
        Fluidsynth(AVL_RED_ZEPPELIN, AVL_DRUMS, "fluidsynth_drums_avl_red_zeppelin", "avldrums.lv2-soundfont", "CC-BY-SA-3.0 (AVL Drumkits soundfonts)", **drum, drum_channel=0),
        Fluidsynth(AVL_BLACK_PEARL, AVL_DRUMS, "fluidsynth_drums_avl_black_pearl", "avldrums.lv2-soundfont", "CC-BY-SA-3.0 (AVL Drumkits soundfonts)", **drum, drum_channel=0),
    ]
