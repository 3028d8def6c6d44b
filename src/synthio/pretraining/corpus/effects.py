"""Named sound effects and voices from Debian game, desktop and sample packages, captioned from their file names.

``horse-canter.wav`` -> "Sound of a horse canter"; words are mapped through a per-package table
(``die`` -> "dying") and files whose name says nothing about the sound are skipped. OpenArena
keeps its sounds inside ``.pk3`` (zip) archives and is read from them directly.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from synthio.audio import AudioError
from synthio.pretraining.corpus.base import CorpusItem, article
from synthio.pretraining.corpus.debian import FileSource
from synthio.progress import say

AUDIO_SUFFIXES = {".ogg", ".oga", ".wav", ".flac"}
MASS_NOUNS = {"rain", "thunder", "wind", "water", "fire", "static", "applause", "crickets", "traffic", "music", "speech", "laughter", "rumble", "machinery"}
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
               "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
TENS = {"30": "thirty", "40": "forty", "50": "fifty", "60": "sixty", "70": "seventy", "80": "eighty", "90": "ninety"}


def words_of(text: str) -> list[str]:
    """Lower-case letter runs of a file name or path: ``"Car_accel2"`` -> ``["car", "accel"]``."""
    return [w for w in re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()) if w]


def noun_phrase(words: list[str]) -> str:
    """Join words into a phrase with an article unless it names a mass noun or a plural: "a horse canter", "rain", "birds"."""
    phrase = " ".join(words)
    plural = words[-1].endswith("s") and not words[-1].endswith(("ss", "us"))
    if not phrase or plural or words[0] in MASS_NOUNS or words[-1] in MASS_NOUNS or words[-1].endswith("ing") and len(words) == 1:
        return phrase
    return f"{article(phrase)} {phrase}"


class NamedEffects(FileSource):
    """Audio files under ``root`` whose name (and ``folder_words`` of its parents) describe the sound.

    ``replace`` maps a file-name word to caption words ("" drops it); a file whose words are all
    dropped, that contains a word of ``skip``, or whose words are all in ``not_alone`` is left out.
    """

    def __init__(self, name: str, root: Path, licence: str, package: str, replace: dict[str, str] | None = None, skip: set[str] | None = None,
                 folder_words: int = 0, exclude_dirs: set[str] | None = None, not_alone: set[str] | None = None):
        super().__init__(name, root, "*", licence, package)
        self.replace, self.skip, self.folder_words, self.exclude_dirs = replace or {}, skip or set(), folder_words, exclude_dirs or set()
        self.not_alone = not_alone or set()

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file() and self.describe(p) is not None)

    def describe(self, path: Path) -> tuple[str, str] | None:
        relative = path.relative_to(self.root) if path.is_relative_to(self.root) else Path(path.name)
        if set(relative.parts[:-1]) & self.exclude_dirs:
            return None
        folders = [w for part in relative.parts[:-1][-self.folder_words :] for w in words_of(part)] if self.folder_words else []
        raw = words_of(relative.stem)
        if set(raw + folders) & self.skip or raw and set(raw) <= self.not_alone:
            return None
        words = []
        for w in folders + raw:
            mapped = self.replace.get(w, w)
            if mapped and (not words or mapped != words[-1]):
                words.extend(mapped.split())
        if not words:
            return None
        label = " ".join(words)
        return label, f"Sound of {noun_phrase(words)}"


def supertuxkart(root: Path = Path("/usr/share/games/supertuxkart/data")) -> NamedEffects:
    """``sfx/thunder.ogg`` -> "Sound of thunder"; kart and track sounds too, music left out."""
    replace = {"sfx": "", "karts": "", "tracks": "", "accel": "accelerating", "revup": "revving", "pa": "announcement", "gp": "", "wee": "cheering",
               "ugh": "grunt", "plopp": "plop", "bzzt": "electric buzz", "loop": "", "sara": "", "lenautile": "", "goo": "goo splat",
               "appear": "magic appearance", "shoot": "shot", "inflate": "balloon inflating", "large": "", "small": "", "boing": "spring boing"}
    skip = {"music", "intro", "cutscene", "introcutscene", "fanfare", "track", "energy", "swap", "gp", "dark", "pre", "start", "finish", "race", "locked"}
    return NamedEffects("supertuxkart", root, "CC-BY-SA-3.0 / CC-BY-SA-4.0 / CC0 / CC-BY-3.0 (per file, see the package's copyright file)",
                        "supertuxkart-data", replace, skip, exclude_dirs={"music", "tracks"})


def wesnoth(root: Path = Path("/usr/share/games/wesnoth/1.16/data/core/sounds")) -> NamedEffects:
    """``horse-canter.wav`` -> "Sound of a horse canter"; ``human-female-die-1.ogg`` -> "Sound of a human female dying"."""
    replace = {"die": "dying", "hit": "being hit", "miss": "missing", "sml": "short", "ambient": "", "signals": "", "ugg": "grunt",
               "puny": "weak", "big": "", "small": "", "long": "", "fire": "fire", "dragonstick": "flamethrower", "thunderstick": "musket shot", "wose": "tree creature", "naga": "snake creature",
               "tusker": "boar", "lich": "undead creature", "drake": "dragon", "gryphon": "griffin", "magicmissile": "magic missile"}
    skip = {"ui", "fanfare", "select", "menu", "button", "gold", "petrified", "slowed", "entangle", "heal", "poison", "potion", "dark", "holy", "faeriefire"}
    return NamedEffects("wesnoth", root, "GPL-2+ (Battle for Wesnoth data)", "wesnoth-1.16-data", replace, skip, not_alone={"miss"})


def widelands(root: Path = Path("/usr/share/games/widelands/data")) -> NamedEffects:
    """``sound/animals/wolf_00.ogg`` -> "Sound of a wolf"; building sounds: "Sound of a sawmill"."""
    replace = {"sound": "", "world": "", "critters": "", "animals": "", "farm": "", "atlanteans": "", "barbarians": "", "empire": "", "taverns": "",
               "smiths": "", "cutting": "", "saw": "", "hammering": "", "woodcutting": "", "metal": "", "mill": "", "sawmill": "sawmill", "fisher": "",
               "other": "", "stonecutting": "", "goldping": "gold ping", "ironping": "iron ping", "benchsaw": "bench saw", "stonegrind": "stone grinding",
               "beerbubble": "beer bubbling", "winebubble": "wine bubbling", "goldspin": "gold spinning", "biginn": "busy inn", "blackwood": "wood sawing",
               "animal": "animal", "smith": "blacksmith hammering", "toolsmith": "toolsmith hammering", "stonecutter": "stone cutting", "stonemason": "stonemason chiselling",
               "ration": "food preparation", "fast": "wood chopping", "tools": "tool", "meal": "cooking", "crickets": "crickets", "turning": "turning", "duck": "duck"}
    skip = {"music", "message", "lobby", "click", "military", "create", "construction", "scenario", "campaigns", "tribes", "maps"}
    return NamedEffects("widelands", root, "GPL-2+ (Widelands data)", "widelands-data", replace, skip, folder_words=1, exclude_dirs={"music", "campaigns", "tribes"})


def lmms(root: Path = Path("/usr/share/lmms/samples")) -> NamedEffects:
    """``drums/snare01.ogg`` -> "Sound of a snare"; ``effects/wind_chimes01.ogg`` -> "Sound of a wind chimes"; drum-synth presets left out."""
    replace = {"drums": "", "effects": "", "basses": "bass", "bassloops": "bass loop", "beats": "drum beat", "instruments": "", "latin": "latin",
               "misc": "", "stringsnpads": "", "hihat": "hi-hat", "hh": "hi-hat", "bd": "bass drum", "sd": "snare drum", "tom": "tom drum",
               "chroma": "", "sfx": "", "kick": "kick drum"}
    return NamedEffects("lmms", root, "GPL-2+ (LMMS samples)", "lmms-common", replace, skip={"shapes", "waveforms"}, folder_words=1,
                        exclude_dirs={"drumsynth", "shapes", "waveforms"})


def freedesktop(root: Path = Path("/usr/share/sounds/freedesktop/stereo")) -> NamedEffects:
    """``phone-incoming-call.oga`` -> "Sound of a phone incoming call"; the ``audio-channel-*`` files are a voice naming the channel."""
    replace = {"oga": "", "dialog": "alert", "message": "message notification", "new": "", "instant": "", "suspend": "", "service": "", "trash": "trash can",
               "empty": "emptied", "power": "power", "plug": "plugged in", "unplug": "unplugged", "network": "network", "connectivity": "", "established": "connected",
               "lost": "disconnected", "window": "window", "attention": "attention chime", "question": "question chime", "complete": "completion chime",
               "login": "login chime", "logout": "logout chime"}
    return NamedEffects("freedesktop", root, "CC-BY-SA-3.0 / CC-BY-3.0 / GPL-2+ (per file, see the package's copyright file)", "sound-theme-freedesktop",
                        replace, skip={"audio", "test", "signal", "volume"})


def _number_words(stem: str) -> str | None:
    """``"7"`` -> ``"seven"``, ``"40"`` -> ``"forty"``; None for anything else."""
    if stem.isdigit() and int(stem) < len(DIGIT_WORDS):
        return DIGIT_WORDS[int(stem)]
    return TENS.get(stem)


class AsteriskSpeech(FileSource):
    """``asterisk-core-sounds-en-wav``: one woman's recorded numbers and letters: ``digits/7.wav`` -> "Sound of a woman saying the word seven"."""

    def __init__(self, root: Path = Path("/usr/share/asterisk/sounds/en_US_f_Allison")):
        super().__init__("asterisk", root, "*.wav", "CC-BY-SA-3.0 (Asterisk core sounds, Allison Smith)", "asterisk-core-sounds-en-wav")

    def describe(self, path: Path) -> tuple[str, str] | None:
        folder = path.parent.name
        if folder == "digits":
            word = _number_words(path.stem) or {"hundred": "hundred", "thousand": "thousand", "million": "million", "billion": "billion", "oclock": "o'clock"}.get(path.stem)
        elif folder == "letters":
            word = {"at": "at", "dot": "dot", "dash": "dash", "space": "space", "zed": "zed"}.get(path.stem) or (path.stem if re.fullmatch(r"[a-z]", path.stem) else None)
            if word and len(word) == 1:
                return f"letter {word}", f"Sound of a woman saying the letter {word.upper()}"
        else:
            return None
        return (word, f"Sound of a woman saying the word {word}") if word else None


HEDGEWARS_EFFECTS = {
    "airmine": "an air mine", "baseballbat": "a baseball bat hit", "bee": "a buzzing bee", "beep": "a beep", "birdy": "a bird", "blowtorch": "a blowtorch",
    "bump": "a bump", "denied": "an error buzzer", "drillgun": "a drill", "droplet": "a water droplet", "egg": "an egg", "explosion": "an explosion",
    "firepunch": "a fiery punch", "flamethrower": "a flamethrower", "grenadeimpact": "a grenade landing", "gun": "a gunshot", "hammer": "a hammer",
    "hell": "a demon growling", "kiss": "a kiss", "knife": "a knife striking", "landgun": "a spraying gun", "melonimpact": "a melon landing",
    "mineimpact": "a mine landing", "minetick": "a mine ticking", "minigun": "a minigun firing", "molotov": "a molotov cocktail bursting", "mortar": "a mortar",
    "parachute": "a parachute opening", "pickhammer": "a pneumatic drill", "plane": "a plane flying", "planewater": "a plane splashing into water",
    "rcplane": "a toy plane buzzing", "ropeattach": "a rope attaching", "roperelease": "a rope releasing", "ropeshot": "a rope shot", "rubberduck": "a rubber duck",
    "shotgunfire": "a shotgun firing", "shotgunreload": "a shotgun reloading", "shutterclick": "a camera shutter click", "sniperreload": "a rifle reloading",
    "splash": "a splash", "steam": "hissing steam", "steps": "footsteps", "throwrelease": "a throw", "ufo": "a flying saucer", "warp": "a warp",
    "whipcrack": "a whip crack", "whistle": "a whistle", "yoohoo": "someone calling yoo-hoo", "jetpackboost": "a jetpack",
}
HEDGEWARS_VOICES = {"British": "a cartoon voice with a British accent", "Classic": "a cartoon voice", "Default": "a cartoon voice", "HillBilly": "a cartoon hillbilly voice",
                    "Mobster": "a cartoon gangster voice", "Pirate": "a cartoon pirate voice", "Robot": "a cartoon robot voice", "Singer": "a cartoon singing voice",
                    "Surfer": "a cartoon surfer voice"}
HEDGEWARS_CRIES = {"ow": "groaning in pain", "ooff": "grunting in pain", "ouch": "crying out in pain", "laugh": "laughing", "jump": "grunting as it jumps",
                   "nooo": "crying no", "hmm": "humming thoughtfully"}


class Hedgewars(FileSource):
    """``hedgewars-data``: named effects (``shotgunfire.ogg`` -> "Sound of a shotgun firing") and English voice packs.

    A voice pack's line for an event is its own, so a line is captioned by the voice only ("Sound
    of a cartoon pirate voice exclaiming"), except cries whose sound the name fixes (pain, laughter).
    """

    def __init__(self, root: Path = Path("/usr/share/games/hedgewars/Data/Sounds")):
        super().__init__("hedgewars", root, "*.ogg", "GFDL-1.3 (Hedgewars sounds; droplets CC-BY-SA-3.0)", "hedgewars-data")

    def describe(self, path: Path) -> tuple[str, str] | None:
        stem = re.sub(r"[\d_-]+$", "", path.stem.lower())
        if path.parent.name in HEDGEWARS_VOICES and path.parent.parent.name == "voices":
            voice = HEDGEWARS_VOICES[path.parent.name]
            cry = HEDGEWARS_CRIES.get(stem)
            return ("voice cry", f"Sound of {voice} {cry}") if cry else ("voice exclaiming", f"Sound of {voice} exclaiming")
        if path.parent != self.root:
            return None
        for prefix, phrase in HEDGEWARS_EFFECTS.items():
            if stem.startswith(prefix.rstrip("_")):
                return re.sub(r"^(a|an)\s+", "", phrase), f"Sound of {phrase}"
        return None


OPENARENA_PLAYER = {"jump": "a person grunting as they jump", "falling": "a person screaming as they fall", "fall": "a person landing with a grunt",
                    "drown": "a person drowning", "death": "a person's death scream", "gasp": "a person gasping for air", "pain": "a person groaning in pain",
                    "taunt": "a person taunting"}
OPENARENA_WEAPONS = {"machinegun": "a machine gun firing", "shotgun": "a shotgun blast", "rocket": "a rocket launcher", "grenade": "a grenade",
                     "plasma": "a plasma gun", "railgun": "a railgun shot", "lightning": "an electric zap", "bfg": "a large energy weapon", "vulcan": "a rapid-fire gun",
                     "melee": "a punch", "proxmine": "a mine exploding", "nailgun": "a nail gun", "chaingun": "a chain gun firing"}
OPENARENA_WORDS = {"fire": "fire", "explosion": "explosion", "door": "a door", "doors": "a door", "water": "water", "splash": "a splash", "wind": "wind",
                   "drone": "a low drone", "fan": "a fan", "electro": "electric buzzing", "drops": "dripping water", "rain": "rain", "thunder": "thunder",
                   "footsteps": "footsteps", "step": "a footstep", "bubbles": "bubbles", "teleport": "a teleporter", "telein": "a teleporter", "teleout": "a teleporter"}


def openarena_caption(member: str) -> tuple[str, str] | None:
    """A path inside a pk3: ``sound/player/sarge/death1.wav`` -> ("death scream", "Sound of a person's death scream"); None when the name says nothing."""
    parts = [p.lower() for p in member.split("/")]
    if len(parts) < 2 or parts[0] != "sound" or Path(parts[-1]).suffix not in AUDIO_SUFFIXES:
        return None
    stem_words = words_of(Path(parts[-1]).stem)
    if "player" in parts[1:-1] or "players" in parts[1:-1]:
        for word, phrase in OPENARENA_PLAYER.items():
            if stem_words and stem_words[0] == word:
                return word, f"Sound of {phrase}"
        return None
    if "weapons" in parts:
        for folder in parts[2:-1]:
            if folder in OPENARENA_WEAPONS:
                return folder, f"Sound of {OPENARENA_WEAPONS[folder]}"
        return None
    for word in stem_words + [w for p in parts[1:-1] for w in words_of(p)]:
        if word in OPENARENA_WORDS:
            return word, f"Sound of {OPENARENA_WORDS[word]}"
    return None


class OpenArena:
    """``openarena-data``: player, weapon and world sounds read from the game's ``.pk3`` archives, captioned from their paths."""

    name = "openarena"
    licence = "GPL-2+ (OpenArena data)"

    def __init__(self, root: Path = Path("/usr/share/games/openarena/baseoa")):
        self.root = Path(root)
        self.requires = {"openarena-data": str(self.root)}

    def available(self) -> str | None:
        return None if self.root.is_dir() else f"{self.root} not found (apt-get install openarena-data)"

    def _members(self) -> list[tuple[Path, str]]:
        if not self.root.is_dir():
            return []
        out = []
        for archive in sorted(self.root.glob("*.pk3")):
            with zipfile.ZipFile(archive) as z:
                out.extend((archive, m) for m in sorted(z.namelist()) if openarena_caption(m) is not None)
        return out

    def keys(self) -> list[str]:
        return [f"{archive.stem}__" + re.sub(r"[^A-Za-z0-9_.-]+", "_", str(Path(m).with_suffix("")).replace("/", "__")) for archive, m in self._members()]

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        open_archives: dict[Path, zipfile.ZipFile] = {}
        try:
            for key, (archive, member) in zip(self.keys(), self._members()):
                if key in skip:
                    continue
                z = open_archives.setdefault(archive, zipfile.ZipFile(archive))
                try:
                    samples, rate = sf.read(io.BytesIO(z.read(member)), dtype="float32", always_2d=True)
                except (RuntimeError, sf.LibsndfileError) as error:
                    say(f"{self.name}: skipped", AudioError(f"{archive}:{member}", "unreadable", str(error), "the archive member is not audio libsndfile reads"))
                    continue
                mono = samples.mean(axis=1)
                mono = soxr.resample(mono, rate, 16000).astype(np.float32) if rate != 16000 else mono
                label, text = openarena_caption(member)  # type: ignore[misc]
                yield CorpusItem(key, label, text, mono, 16000)
        finally:
            for z in open_archives.values():
                z.close()


def effect_sources() -> list:
    """Every named-effects source with its default Debian path."""
    return [supertuxkart(), wesnoth(), widelands(), lmms(), freedesktop(), AsteriskSpeech(), OpenArena(), Hedgewars()]

