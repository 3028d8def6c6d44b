"""``synthio prepare``: every recipe on a tiny fake of its official archive layout (rows, columns, labels, splits, decodable audio), plus errors, reruns and the CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from synthio.atomic import temporary_path
from synthio.audio import read_audio, write_audio
from synthio.cli import app
from synthio.errors import SynthioError
from synthio.outdir import OutputFolderError
from synthio.prepare import RECIPES, MissingSourceError, gtzan, prepare
from synthio.prepare.base import SUMMARY

RATE = 8000


def tone(path: Path, seconds: float = 0.2, frequency: float = 440.0, channels: int = 1, rate: int = RATE, silent_after: float | None = None) -> None:
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    if silent_after is not None:
        wave[int(silent_after * rate) :] = 0
    write_audio(path, np.stack([wave] * channels) if channels > 1 else wave, rate)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@dataclass
class Fake:
    """A fake SRC, the rows ``metadata.csv`` must hold (keyed by file_name), and the file whose absence must be named."""

    src: Path
    columns: tuple[str, ...]
    rows: dict[str, dict[str, str]]
    essential: str
    skipped: int = 0


def fake_esc50(root: Path) -> Fake:
    write(root / "meta/esc50.csv", "filename,fold,target,category,esc10,src_file,take\n1-100032-A-0.wav,1,0,dog,True,100032,A\n1-115545-B-48.wav,1,48,fireworks,False,115545,B\n5-9032-A-0.wav,5,0,dog,True,9032,A\n")
    for name in ("1-100032-A-0", "1-115545-B-48", "5-9032-A-0"):
        tone(root / f"audio/{name}.wav")
    rows = {
        "audio/1-100032-A-0.wav": {"label": "dog", "fold": "1", "freesound_id": "100032", "esc10": "True"},
        "audio/1-115545-B-48.wav": {"label": "fireworks", "fold": "1", "freesound_id": "115545", "esc10": "False"},
        "audio/5-9032-A-0.wav": {"label": "dog", "fold": "5", "freesound_id": "9032", "esc10": "True"},
    }
    return Fake(root, ("file_name", "label", "fold", "freesound_id", "esc10"), rows, "meta/esc50.csv")


def fake_urbansound8k(root: Path) -> Fake:
    write(
        root / "metadata/UrbanSound8K.csv",
        "slice_file_name,fsID,start,end,salience,fold,classID,class\n100032-3-0-0.wav,100032,0.0,0.317551,1,5,3,dog_bark\n100263-2-0-117.wav,100263,58.5,62.5,1,5,2,children_playing\n101415-3-0-2.wav,101415,1.0,5.0,2,1,3,dog_bark\n",
    )
    tone(root / "audio/fold5/100032-3-0-0.wav")
    tone(root / "audio/fold5/100263-2-0-117.wav", channels=2)
    (root / "audio/fold1").mkdir(parents=True)
    sf.write(root / "audio/fold1/101415-3-0-2.wav", np.full(1000, 0.1, np.float32), 22050, subtype="PCM_24")  # kept as is: 24-bit PCM
    rows = {
        "audio/fold5/100032-3-0-0.wav": {"label": "dog_bark", "fold": "5", "freesound_id": "100032", "salience": "1"},
        "audio/fold5/100263-2-0-117.wav": {"label": "children_playing", "fold": "5", "freesound_id": "100263", "salience": "1"},
        "audio/fold1/101415-3-0-2.wav": {"label": "dog_bark", "fold": "1", "freesound_id": "101415", "salience": "2"},
    }
    return Fake(root, ("file_name", "label", "fold", "freesound_id", "salience"), rows, "metadata/UrbanSound8K.csv")


def fake_gtzan(root: Path) -> Fake:
    # gtzan.GENRES / PER_GENRE are shrunk by the fixture below: 2 genres x 12 excerpts, in the marsyas .au format
    rows = {}
    for genre in gtzan.GENRES:
        (root / "genres" / genre).mkdir(parents=True)
        for index in range(gtzan.PER_GENRE):
            name = f"genres/{genre}/{genre}.{index:05d}.au"
            sf.write(root / name, np.full(400, 0.1 * (index + 1) / gtzan.PER_GENRE, np.float32), 22050, format="AU", subtype="PCM_16")
            rows[name] = {"label": genre, "fold": "1" if index < 10 else "2"}
    return Fake(root, ("file_name", "label", "fold"), rows, "genres/jazz/jazz.00003.au")


def fake_medley_solos_db(root: Path) -> Fake:
    entries = [
        ("test", "clarinet", "0", "0", "0e4371ac-1c6a-51ab-fdb7-f8abd5fbf1a3"),
        ("training", "distorted electric guitar", "1", "73", "0a0f3b39-aa5b-58c3-f2a5-9c3fd2a1e5b6"),
        ("validation", "flute", "3", "170", "1b2c3d4e-0000-5111-a222-333344445555"),
    ]
    write(root / "Medley-solos-DB_metadata.csv", "subset,instrument,instrument_id,song_id,uuid4\n" + "".join(",".join(e) + "\n" for e in entries))
    rows = {}
    for subset, instrument, instrument_id, song, uuid4 in entries:
        name = f"audio/Medley-solos-DB_{subset}-{instrument_id}_{uuid4}.wav"
        tone(root / name)
        rows[name] = {"label": instrument, "split": {"training": "train"}.get(subset, subset), "song_id": song}
    return Fake(root, ("file_name", "label", "split", "song_id"), rows, "Medley-solos-DB_metadata.csv")


def fake_tut_urban(root: Path) -> Fake:
    dev, evaluation = root / "TUT-acoustic-scenes-2017-development", root / "TUT-acoustic-scenes-2017-evaluation"
    clips = {1: ("b020_90_100", "beach"), 2: ("a001_0_10", "residential_area"), 3: ("c034_40_50", "cafe/restaurant"), 4: ("b020_100_110", "beach")}
    rows = {}
    for fold, (name, scene) in clips.items():
        write(dev / f"evaluation_setup/fold{fold}_evaluate.txt", f"audio/{name}.wav\t{scene}\n")
        write(dev / f"evaluation_setup/fold{fold}_train.txt", "".join(f"audio/{n}.wav\t{s}\n" for k, (n, s) in clips.items() if k != fold))
        tone(dev / f"audio/{name}.wav", channels=2)
        rows[f"TUT-acoustic-scenes-2017-development/audio/{name}.wav"] = {"label": scene, "split": "development", "fold": str(fold), "recording": name.split("_")[0]}
    write(evaluation / "evaluation_setup/evaluate.txt", "audio/1.wav\ttram\n")
    tone(evaluation / "audio/1.wav", channels=2)
    rows["TUT-acoustic-scenes-2017-evaluation/audio/1.wav"] = {"label": "tram", "split": "evaluation", "fold": "", "recording": ""}
    return Fake(root, ("file_name", "label", "split", "fold", "recording"), rows, "TUT-acoustic-scenes-2017-development/evaluation_setup/fold3_evaluate.txt")


def fake_nsynth(root: Path) -> Fake:
    notes = {
        "nsynth-train": [("bass_synthetic_033-022-050", "bass", "synthetic")],
        "nsynth-valid": [("keyboard_acoustic_004-060-025", "keyboard", "acoustic")],
        "nsynth-test": [("vocal_acoustic_000-058-127", "vocal", "acoustic"), ("guitar_electronic_022-065-100", "guitar", "electronic")],
    }
    split = {"nsynth-train": "train", "nsynth-valid": "validation", "nsynth-test": "test"}
    rows = {}
    for part, entries in notes.items():
        examples = {}
        for note, family, source in entries:
            instrument, pitch, velocity = note.rsplit("-", 2)
            examples[note] = {
                "note": 1, "note_str": note, "instrument": 7, "instrument_str": instrument, "pitch": int(pitch), "velocity": int(velocity), "sample_rate": 16000,
                "qualities": [0] * 10, "qualities_str": [], "instrument_family": 0, "instrument_family_str": family, "instrument_source": 0, "instrument_source_str": source,
            }  # fmt: skip
            tone(root / part / "audio" / f"{note}.wav", rate=16000)
            rows[f"{part}/audio/{note}.wav"] = {"label": family, "split": split[part], "instrument": instrument, "source": source, "pitch": str(int(pitch)), "velocity": str(int(velocity))}
        write(root / part / "examples.json", json.dumps(examples))
    return Fake(root, ("file_name", "label", "split", "instrument", "source", "pitch", "velocity"), rows, "nsynth-valid/examples.json")


def fake_vocalsound(root: Path) -> Fake:
    clips = {"f0003_0_cough.wav": "train", "m0012_1_laughter.wav": "validation", "f0101_0_throatclearing.wav": "test"}
    rows = {}
    for name, split in clips.items():
        tone(root / "audio_16k" / name, rate=16000)
        speaker, _, label = name[:-4].split("_")
        rows[f"audio_16k/{name}"] = {"label": label, "split": split, "speaker": speaker}
    tone(root / "audio_16k" / "notes.wav", rate=16000)  # not <speaker>_<take>_<label>.wav: skipped and listed
    for list_name, split in (("tr.json", "train"), ("val.json", "validation"), ("te.json", "test")):
        data = [{"wav": f"/data/sls/vocalsound/audio_16k/{n}", "labels": "/m/01b_21"} for n, s in clips.items() if s == split]
        write(root / "datafiles" / list_name, json.dumps({"data": data}))
    return Fake(root, ("file_name", "label", "split", "speaker"), rows, "datafiles/te.json", skipped=1)


def fake_musdb18(root: Path) -> Fake:
    rows = {}
    for split, track in (("train", "A Classic Education - NightOwl"), ("test", "Al James - Schoolboy Facination")):
        for stem in ("vocals", "drums", "bass", "other", "mixture"):
            # 8.5 s: clips at 0 s and 4 s, tail dropped; the vocals fall silent after 4 s, so their second clip is skipped
            tone(root / split / track / f"{stem}.wav", seconds=8.5, channels=2, frequency=220 + 50 * len(stem), silent_after=4.0 if stem == "vocals" else None)
            if stem == "mixture":
                continue
            for k in (0, 1) if stem != "vocals" else (0,):
                rows[f"{split}/{track}/{stem}_{k:03d}.flac"] = {"label": stem, "split": split, "track": track, "start": str(4 * k)}
    return Fake(root, ("file_name", "label", "split", "track", "start"), rows, "test/Al James - Schoolboy Facination/bass.wav")


def fake_dcase2017_task4(root: Path) -> Fake:
    training = (
        "-5QrBL6MzLg_60.000_70.000.wav\t60.000\t70.000\tTrain horn\n"
        "0RurXUfKyow_4.000_14.000.wav\t4.000\t14.000\tTrain horn\n"
        "-5QrBL6MzLg_60.000_70.000.wav\t60.000\t70.000\tTrain\n"
        "gone_video__0.000_10.000.wav\t0.000\t10.000\tCar\n"  # listed, but its audio was never downloaded: skipped and listed
    )
    write(root / "groundtruth_weak_label_training_set.csv", training)
    write(root / "groundtruth_weak_label_testing_set.csv", "-8baTnilyjs_30.000_40.000.wav\t30.000\t40.000\tAir horn, truck horn\n")
    write(root / "groundtruth_release/groundtruth_weak_label_evaluation_set.csv", "3ACjUf9QpAQ_30.000_40.000.wav\t30.000\t40.000\tFire engine, fire truck (siren)\n")
    for name in ("training/Y-5QrBL6MzLg_60.000_70.000.wav", "training/Y0RurXUfKyow_4.000_14.000.wav", "testing/Y-8baTnilyjs_30.000_40.000.wav", "evaluation_set_formatted_audio_segments/3ACjUf9QpAQ_30.000_40.000.wav"):
        tone(root / name)
    rows = {
        "training/Y-5QrBL6MzLg_60.000_70.000.wav": {"labels": "Train;Train horn", "split": "train"},
        "training/Y0RurXUfKyow_4.000_14.000.wav": {"labels": "Train horn", "split": "train"},
        "testing/Y-8baTnilyjs_30.000_40.000.wav": {"labels": "Air horn, truck horn", "split": "validation"},
        "evaluation_set_formatted_audio_segments/3ACjUf9QpAQ_30.000_40.000.wav": {"labels": "Fire engine, fire truck (siren)", "split": "test"},
    }
    return Fake(root, ("file_name", "labels", "split"), rows, "groundtruth_weak_label_testing_set.csv", skipped=1)


def fake_fsd50k(root: Path) -> Fake:
    guitar = '"Electric_guitar,Guitar,Plucked_string_instrument,Musical_instrument,Music","/m/02sgy,/m/0342h,/m/0fx80y,/m/04szw,/m/04rlf"'
    write(root / "FSD50K.ground_truth/dev.csv", f'fname,labels,mids,split\n64760,{guitar},train\n16399,"Drawer_open_or_close,Domestic_sounds_and_home_sounds","/m/0fqfqc,/t/dd00071",val\n')
    write(root / "FSD50K.ground_truth/eval.csv", "fname,labels,mids\n37199,Bark,/m/05tny_\n")
    for name in ("FSD50K.dev_audio/64760.wav", "FSD50K.dev_audio/16399.wav", "FSD50K.eval_audio/37199.wav"):
        tone(root / name)
    rows = {
        "FSD50K.dev_audio/64760.wav": {"labels": "Electric_guitar;Guitar;Plucked_string_instrument;Musical_instrument;Music", "split": "train", "freesound_id": "64760"},
        "FSD50K.dev_audio/16399.wav": {"labels": "Drawer_open_or_close;Domestic_sounds_and_home_sounds", "split": "validation", "freesound_id": "16399"},
        "FSD50K.eval_audio/37199.wav": {"labels": "Bark", "split": "test", "freesound_id": "37199"},
    }
    return Fake(root, ("file_name", "labels", "split", "freesound_id"), rows, "FSD50K.ground_truth/eval.csv")


def fake_us8k_mixtures(root: Path) -> Fake:
    """A tiny UrbanSound8K audiofolder (what `synthio prepare urbansound8k` writes): two folds, three classes; the rows are the recipe's own plan."""
    from synthio.prepare.us8k_mixtures import collect

    rows = []
    for fold in ("1", "2"):
        for k, label in enumerate(("dog_bark", "siren", "drilling")):
            name = f"audio/fold{fold}/{fold}{k}.wav"
            tone(root / name, seconds=0.1 + 0.05 * k, frequency=300.0 * (k + 1))
            rows.append(f"{name},{label},{fold},{fold}{k}")
    write(root / "metadata.csv", "file_name,label,fold,freesound_id\n" + "\n".join(rows) + "\n")
    plan = collect(root, RECIPES["us8k-mixtures"])
    return Fake(root, RECIPES["us8k-mixtures"].columns, {item.file_name: item.row for item in plan.items}, "metadata.csv")


FAKES: dict[str, Callable[[Path], Fake]] = {
    "esc50": fake_esc50,
    "urbansound8k": fake_urbansound8k,
    "gtzan": fake_gtzan,
    "medley_solos_db": fake_medley_solos_db,
    "tut_urban": fake_tut_urban,
    "nsynth": fake_nsynth,
    "vocalsound": fake_vocalsound,
    "musdb18": fake_musdb18,
    "dcase2017_task4": fake_dcase2017_task4,
    "fsd50k": fake_fsd50k,
    "us8k-mixtures": fake_us8k_mixtures,
}


@pytest.fixture(autouse=True)
def small_gtzan(monkeypatch):
    monkeypatch.setattr(gtzan, "GENRES", ("blues", "jazz"))
    monkeypatch.setattr(gtzan, "PER_GENRE", 12)


def read_metadata(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(out / "metadata.csv", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_every_recipe_has_a_fake():
    assert set(FAKES) == set(RECIPES)


@pytest.mark.parametrize("name", list(FAKES))
def test_recipe_writes_the_official_rows_and_decodable_audio(tmp_path, name):
    fake = FAKES[name](tmp_path / "src")
    out = prepare(name, fake.src, tmp_path / "out")
    columns, rows = read_metadata(out)
    assert tuple(columns) == fake.columns == RECIPES[name].columns
    assert {r["file_name"]: {k: v for k, v in r.items() if k != "file_name"} for r in rows} == fake.rows
    assert len(rows) == len(fake.rows)  # no duplicates
    for row in rows:
        assert len(read_audio(out / row["file_name"], 16000)) > 0
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["rows"] == len(rows) and len(summary["skipped"]) == fake.skipped


@pytest.mark.parametrize("name", list(FAKES))
def test_a_missing_source_file_is_named_and_nothing_is_written(tmp_path, name):
    fake = FAKES[name](tmp_path / "src")
    (fake.src / fake.essential).unlink()
    with pytest.raises(MissingSourceError) as raised:
        prepare(name, fake.src, tmp_path / "out")
    assert str(fake.src / fake.essential) in str(raised.value) and "Download" in str(raised.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", list(FAKES))
def test_a_rerun_is_idempotent_and_a_killed_run_resumes(tmp_path, name):
    fake = FAKES[name](tmp_path / "src")
    out = prepare(name, fake.src, tmp_path / "out")
    metadata = (out / "metadata.csv").read_bytes()
    files = sorted(r["file_name"] for r in read_metadata(out)[1])
    stamps = {f: (out / f).stat().st_mtime_ns for f in files}
    prepare(name, fake.src, out)
    assert (out / "metadata.csv").read_bytes() == metadata
    assert {f: (out / f).stat().st_mtime_ns for f in files} == stamps  # complete files are not rewritten

    # as if killed mid-run: no metadata.csv yet, one file not written, a temporary file left behind
    (out / "metadata.csv").unlink()
    (out / files[0]).unlink()
    leftover = temporary_path(out / files[-1], Path(files[-1]).suffix)
    leftover.write_bytes(b"half")
    prepare(name, fake.src, out)
    assert (out / "metadata.csv").read_bytes() == metadata
    assert len(read_audio(out / files[0], 16000)) > 0 and not leftover.exists()


def test_an_undecodable_source_file_is_skipped_and_listed(tmp_path):
    fake = fake_esc50(tmp_path / "src")
    (fake.src / "audio/1-115545-B-48.wav").write_bytes(b"RIFF not really a wav file")
    out = prepare("esc50", fake.src, tmp_path / "out")
    assert [r["file_name"] for r in read_metadata(out)[1]] == ["audio/1-100032-A-0.wav", "audio/5-9032-A-0.wav"]
    (skipped,) = json.loads((out / SUMMARY).read_text())["skipped"]
    assert skipped["source"].endswith("1-115545-B-48.wav") and skipped["reason"]


def test_vocalsound_without_the_split_lists_has_no_split_column(tmp_path):
    fake = fake_vocalsound(tmp_path / "src")
    for path in (fake.src / "datafiles").iterdir():
        path.unlink()
    (fake.src / "datafiles").rmdir()
    columns, rows = read_metadata(prepare("vocalsound", fake.src, tmp_path / "out"))
    assert columns == ["file_name", "label", "speaker"] and {r["speaker"] for r in rows} == {"f0003", "m0012", "f0101"}


def test_the_source_folder_and_other_settings_are_refused(tmp_path):
    fake = fake_esc50(tmp_path / "src")
    with pytest.raises(OutputFolderError, match="is the input folder"):
        prepare("esc50", fake.src, fake.src)
    prepare("esc50", fake.src, tmp_path / "out")
    other = fake_esc50(tmp_path / "other")
    with pytest.raises(OutputFolderError, match="other settings"):
        prepare("esc50", other.src, tmp_path / "out")
    with pytest.raises(SynthioError, match="unknown dataset 'esc-50'.*esc50, urbansound8k"):
        prepare("esc-50", fake.src, tmp_path / "out2")


def test_the_parent_of_the_extracted_folder_gets_a_hint(tmp_path):
    fake = fake_esc50(tmp_path / "downloads" / "ESC-50-master")
    with pytest.raises(MissingSourceError, match="it is under .*ESC-50-master"):
        prepare("esc50", fake.src.parent, tmp_path / "out")


runner = CliRunner()


def test_cli_lists_every_recipe_with_its_layout_and_licence():
    result = runner.invoke(app, ["prepare", "--list"])
    assert result.exit_code == 0
    for recipe in RECIPES.values():
        assert recipe.name in result.output and recipe.licence in result.output
        assert all(line in result.output for line in recipe.layout)


def test_cli_unknown_name_and_missing_arguments_fail_cleanly(tmp_path):
    result = runner.invoke(app, ["prepare", "esc-50", str(tmp_path), str(tmp_path / "out")])
    assert result.exit_code == 2 and "unknown dataset" in result.output and "urbansound8k" in result.output
    result = runner.invoke(app, ["prepare", "esc50"])
    assert result.exit_code == 2 and "NAME SRC OUT" in result.output
    result = runner.invoke(app, ["prepare", "esc50", str(tmp_path / "nowhere"), str(tmp_path / "out")])
    assert result.exit_code == 2 and "ESC-50-master.zip" in result.output and not (tmp_path / "out").exists()


def test_cli_prepares_a_dataset(tmp_path):
    fake = fake_esc50(tmp_path / "src")
    result = runner.invoke(app, ["prepare", "esc50", str(fake.src), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(read_metadata(tmp_path / "out")[1]) == 3


def test_force_never_lets_a_recipe_write_into_a_users_non_empty_folder(tmp_path):
    from synthio.prepare.base import Plan, Recipe

    recipe = Recipe(name="none", title="t", licence="l", archive="a", layout=(), columns=("file_name", "label"), collect=lambda src, recipe: Plan(items=[]))
    (tmp_path / "src").mkdir()
    (tmp_path / "mine" / "audio").mkdir(parents=True)
    with pytest.raises(OutputFolderError, match="holds audio, which `synthio prepare` would replace"):
        recipe.prepare(tmp_path / "src", tmp_path / "mine", force=True)
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["audio"]
