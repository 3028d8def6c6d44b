"""Speech from ``espeak-ng`` (Debian ``espeak-ng``, GPL-3+): digits, words and short phrases in many voices.

Every digit is spoken by every voice (accent x variant) at every pitch and speed; every other word
and phrase by every voice at one pitch and speed, taken in turn so that all nine combinations
recur. Captions name the speaker, the words, the accent, the pitch and the speed:
"Sound of a woman saying the word seven, with a Scottish accent, in a high voice, fast".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthio.audio import AudioError, read_audio
from synthio.pretraining.corpus.base import CorpusItem, article
from synthio.progress import say

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
WORDS = [
    "yes", "no", "stop", "go", "left", "right", "up", "down", "on", "off", "hello", "goodbye", "please", "thanks", "sorry", "help", "wait",
    "open", "close", "start", "ready", "again", "water", "music", "dog", "cat", "bird", "horse", "car", "train", "house", "door", "window",
    "morning", "night", "today", "tomorrow", "red", "green", "blue", "black", "white", "happy", "hungry", "listen", "look", "quiet", "loud",
    "ten", "twenty", "hundred", "thousand", "first", "second", "last", "north", "south", "east", "west", "time",
]
PHRASES = [
    "good morning", "good night", "thank you very much", "how are you", "see you later", "where are you going", "turn left here",
    "call me back", "what time is it", "the train is late", "open the door", "I am hungry", "it is raining again", "let's go home",
    "are you ready", "wait for me", "nice to meet you", "happy birthday", "watch out", "be quiet please", "the dog is barking",
    "press one for more options", "your call is important to us", "the number is seven two five", "count to ten", "one two three",
    "do not touch that", "I will be there soon", "can you hear me", "that was amazing",
]
ACCENTS = {
    "en-gb": "a British accent", "en-us": "an American accent", "en-gb-scotland": "a Scottish accent", "en-gb-x-gbclan": "a Lancashire accent",
    "en-gb-x-gbcwmd": "a West Midlands accent", "en-gb-x-rp": "a received pronunciation accent", "en-029": "a Caribbean accent", "en-us-nyc": "a New York accent",
}
VARIANTS = {
    "m1": "man", "m3": "man", "m5": "man", "m7": "man", "f1": "woman", "f2": "woman", "f3": "woman", "f4": "woman", "croak": "man with a croaky voice",
    "grandpa": "old man", "whisper": "whispering man", "whisperf": "whispering woman",
}
PITCHES = {"in a low voice": 20, "": 50, "in a high voice": 80}
SPEEDS = {"slowly": 120, "": 175, "fast": 240}


@dataclass(frozen=True)
class Utterance:
    """One rendering: the words, the voice (accent + variant), espeak-ng's pitch (0-99) and speed (words per minute)."""

    words: str
    accent: str
    variant: str
    pitch: str
    speed: str

    @property
    def key(self) -> str:
        stem = re.sub(r"[^a-z0-9]+", "_", self.words.lower()).strip("_")
        return f"{stem}__{self.accent}+{self.variant}_p{PITCHES[self.pitch]}_s{SPEEDS[self.speed]}"

    @property
    def label(self) -> str:
        return self.words if " " not in self.words else "speech"

    @property
    def text(self) -> str:
        speaker = VARIANTS[self.variant]
        verb = "whispering" if speaker.startswith("whispering") else "saying"
        noun = speaker.replace("whispering ", "")
        what = f"the word {self.words}" if " " not in self.words else f'"{self.words}"'
        parts = [f"Sound of {article(noun)} {noun} {verb} {what}", f"with {ACCENTS[self.accent]}", self.pitch, self.speed]
        return ", ".join(p for p in parts if p)


def utterances(digits: list[str] = DIGITS, words: list[str] = WORDS, phrases: list[str] = PHRASES, accents: dict[str, str] = ACCENTS,
               variants: dict[str, str] = VARIANTS) -> list[Utterance]:
    """The planned renderings, in a stable order (pure: needs no espeak-ng)."""
    voices = [(a, v) for a in accents for v in variants]
    settings = [(p, s) for p in PITCHES for s in SPEEDS]
    out = [Utterance(d, a, v, p, s) for d in digits for a, v in voices for p, s in settings]
    for i, text in enumerate(words + phrases):
        for j, (a, v) in enumerate(voices):
            p, s = settings[(i + j) % len(settings)]
            out.append(Utterance(text, a, v, p, s))
    return out


def voice_names(listing: str) -> set[str]:
    """The languages and variants an ``espeak-ng --voices`` (or ``--voices=variant``) listing names: ``{"en-gb-scotland", "m1"}``."""
    names = set()
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            names.add(parts[4].rsplit("/", 1)[-1].lower() if parts[1] == "variant" else parts[1])
    return names


def playable(plan: list[Utterance], installed: set[str]) -> tuple[list[Utterance], list[str]]:
    """The utterances whose accent and variant are both ``installed``, and the planned voices that are not (sorted)."""
    missing = sorted({name for u in plan for name in (u.accent, u.variant) if name not in installed})
    return [u for u in plan if u.accent in installed and u.variant in installed], missing


class Espeak:
    """Spoken digits, words and phrases rendered by ``espeak-ng`` at 16 kHz; voices this espeak-ng lacks are left out."""

    name = "espeak"
    licence = "GPL-3+ (espeak-ng and its voice data)"
    requires = {"espeak-ng": "espeak-ng"}

    def __init__(self, plan: list[Utterance] | None = None):
        self.plan = plan if plan is not None else utterances()
        self._installed: set[str] | None = None

    def installed(self) -> set[str]:
        """The languages and variants this machine's espeak-ng has."""
        if self._installed is None:
            listings = [subprocess.run(["espeak-ng", option], capture_output=True, text=True).stdout for option in ("--voices", "--voices=variant")]
            self._installed = set().union(*(voice_names(listing) for listing in listings))
        return self._installed

    def available(self) -> str | None:
        if not shutil.which("espeak-ng"):
            return "espeak-ng not found (apt-get install espeak-ng)"
        if not playable(self.plan, self.installed())[0]:
            return f"this espeak-ng has none of the planned voices ({', '.join(playable(self.plan, self.installed())[1])}); see `espeak-ng --voices`"
        return None

    def keys(self) -> list[str]:
        return [u.key for u in playable(self.plan, self.installed())[0]]

    def render(self, utterance: Utterance) -> np.ndarray:
        """Mono 16 kHz samples of one utterance."""
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "speech.wav"
            command = ["espeak-ng", "-v", f"{utterance.accent}+{utterance.variant}", "-p", str(PITCHES[utterance.pitch]), "-s", str(SPEEDS[utterance.speed]), "-w", str(wav), utterance.words]
            subprocess.run(command, check=True, capture_output=True, text=True)
            return read_audio(wav, 16000)

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        plan, missing = playable(self.plan, self.installed())
        if missing:
            say(f"{self.name}: skipped the voices this espeak-ng lacks:", f"{', '.join(missing)} ({len(self.plan) - len(plan)} utterances; see `espeak-ng --voices`)")
        for utterance in plan:
            if utterance.key in skip:
                continue
            try:
                samples = self.render(utterance)
            except (subprocess.CalledProcessError, AudioError) as error:
                say(f"{self.name}: skipped {utterance.key}:", getattr(error, "stderr", None) or error)
                continue
            yield CorpusItem(utterance.key, utterance.label, utterance.text, samples, 16000)
