"""MUSDB18-HQ (Rafii et al., 2019): 150 full songs (100 train, 50 test) as vocals, drums, bass and other stems; here the stems are the classes.

Archive: ``musdb18hq.zip`` from Zenodo record 3338373 (https://zenodo.org/record/3338373),
extracted; SRC holds ``train/`` and ``test/``. (The compressed MUSDB18, with ``.stem.mp4`` files,
is not read: libsndfile cannot decode it.) Licence: for academic, non-commercial research only;
each track keeps its own licence (mostly CC BY-NC-SA), listed on the dataset's page.

Each stem WAV ``<split>/<track>/{vocals,drums,bass,other}.wav`` is cut into consecutive,
non-overlapping 4-second clips (a shorter tail is dropped); a clip whose RMS level (of its
mono mix-down) is below -40 dBFS is silent and skipped. Clips are written as FLAC at the stem's
own rate and channels (44.1 kHz stereo) to ``<split>/<track>/<stem>_<kkk>.flac``. Writes
``file_name,label,split,track,start`` with label = the stem, split = train / test (the official
parts) and start = the clip's offset in seconds. Clips of one track share ``track``
(``--val-group track``). The ``mixture.wav`` files are not used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from synthio.atomic import write_text_atomic
from synthio.audio import AudioError, read_audio, write_audio
from synthio.prepare.base import STATE, Plan, Recipe, SkipItem

SPLITS = ("train", "test")
STEMS = ("vocals", "drums", "bass", "other")
CLIP_SECONDS = 4.0
SILENCE_DBFS = -40.0


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB relative to full scale of mono ``(n,)`` or ``(channels, n)`` samples (mixed down first)."""
    mono = samples.mean(axis=0) if samples.ndim == 2 else samples
    rms = math.sqrt(float(np.mean(np.square(mono, dtype=np.float64)))) if len(mono) else 0.0
    return 20 * math.log10(rms) if rms > 0 else -math.inf


@dataclass(frozen=True)
class StemClips:
    """The clips of one stem; ``OUT/.prepare/musdb18/<split>/<track>/<stem>.json`` records them once all are written."""

    path: Path
    split: str
    track: str
    stem: str

    @property
    def source(self) -> str:
        return str(self.path)

    def write(self, out: Path) -> list[dict[str, str]]:
        done = out / STATE / "musdb18" / self.split / self.track / f"{self.stem}.json"
        if done.is_file():
            rows = json.loads(done.read_text())
            if all((out / r["file_name"]).is_file() for r in rows):
                return rows
        try:
            rate = sf.info(str(self.path)).samplerate
            samples = read_audio(self.path, rate, mono=False)
        except AudioError as error:
            raise SkipItem(f"{error.kind}: {error.detail}") from None
        except (sf.LibsndfileError, RuntimeError) as error:
            raise SkipItem(f"unreadable: {str(error).strip()}") from None
        length = int(round(CLIP_SECONDS * rate))
        rows = []
        for k in range(samples.shape[-1] // length):
            clip = samples[..., k * length : (k + 1) * length]
            if level_dbfs(clip) < SILENCE_DBFS:
                continue
            file_name = f"{self.split}/{self.track}/{self.stem}_{k:03d}.flac"
            if not (out / file_name).is_file():
                write_audio(out / file_name, clip, rate)
            rows.append({"file_name": file_name, "label": self.stem, "split": self.split, "track": self.track, "start": f"{k * CLIP_SECONDS:g}"})
        write_text_atomic(done, json.dumps(rows))
        return rows


def collect(src: Path, recipe: Recipe) -> Plan:
    items = []
    for split in SPLITS:
        folder = recipe.require(src, split, kind="folder")
        tracks = sorted(p.name for p in folder.iterdir() if p.is_dir())
        if not tracks:
            raise recipe.missing(folder, "holds no track folders")
        items += [StemClips(folder / track / f"{stem}.wav", split, track, stem) for track in tracks for stem in STEMS]
    recipe.check_listed(src, (i.path for i in items), "the track folders (each needs vocals, drums, bass and other .wav)")
    return Plan(items)


RECIPE = Recipe(
    name="musdb18",
    title="MUSDB18-HQ",
    licence="academic, non-commercial research only; each track under its own licence (mostly CC BY-NC-SA)",
    archive="musdb18hq.zip from https://zenodo.org/record/3338373",
    layout=("train/<track>/vocals.wav, drums.wav, bass.wav, other.wav  (100 tracks)", "test/<track>/vocals.wav, drums.wav, bass.wav, other.wav  (50 tracks)"),
    columns=("file_name", "label", "split", "track", "start"),
    collect=collect,
    notes=f"label = stem; {CLIP_SECONDS:g}-s clips, silent ones (RMS < {SILENCE_DBFS:g} dBFS) skipped; split = train/test",
)
