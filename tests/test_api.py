"""The Python API drives the example end to end and returns the typed results the CLI prints."""

import csv

import pytest

import synthio
from synthio.api import AugmentResult, EvaluateResult
from synthio.config import ConfigError
from synthio.example import write_example
from tests import augment_child

pytestmark = pytest.mark.filterwarnings("ignore")


def test_augment_then_evaluate_through_the_api(tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    data = write_example(tmp_path / "example", clips_per_class=2, seconds=0.4)
    result = synthio.augment(
        data, where=["split=train"], n=6, factor=2, out=tmp_path / "aug", sample_steps=2, batch_size=4, threshold=0.5, reflection_rounds=1,
        align="none", llm={"cache_dir": str(tmp_path / "llm-cache")}, verdict_seeds=2, verdict_steps=3,
    )
    assert isinstance(result, AugmentResult) and result.clips_real == 6 and result.rounds["0"].generated == 12
    assert (result.out / "report/index.html").is_file() and (result.out / "quality.json").is_file()
    assert result.verdict["outcome"] in ("helped", "hurt", "no clear effect") and result.verdict["mode"] == "pool" and [run["seed"] for run in result.verdict["runs"]] == [0, 1]
    assert "verdict" in (result.out / "report/index.html").read_text()
    with open(result.metadata, newline="") as f:
        kept = list(csv.DictReader(f))
    assert len(kept) == result.kept and all((result.out / row["file_name"]).is_file() for row in kept)
    from datasets import load_dataset

    loaded = load_dataset("audiofolder", data_dir=str(result.out), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert sorted(loaded["label"]) == sorted(row["label"] for row in kept) and loaded[0]["audio"]["sampling_rate"] == 16000
    again = synthio.augment(
        data, where=["split=train"], n=6, factor=2, out=tmp_path / "aug", sample_steps=2, batch_size=4, threshold=0.5, reflection_rounds=1,
        align="none", llm={"cache_dir": str(tmp_path / "llm-cache")}, verdict_seeds=2, verdict_steps=3,
    )
    assert again.model_dump(exclude={"stage_seconds"}) == result.model_dump(exclude={"stage_seconds"})

    unfiltered = synthio.augment(data, where=["split=train"], n=6, factor=1, out=tmp_path / "all", sample_steps=2, captions="template", align="none", filter=False, report=False, verdict=False)
    assert unfiltered.threshold is None and unfiltered.kept == unfiltered.generated == 6

    evaluated = synthio.evaluate(data, out=tmp_path / "eval", train_where=["split=train"], test_where=["split=test"], n=[6], seeds=[0], methods=["gold"], extra_train=[result.out], steps=2, device="cpu")
    assert isinstance(evaluated, EvaluateResult) and [run.method for run in evaluated.runs] == ["gold", "extra:aug"]
    assert evaluated.runs[1].train_rows == 6 + result.kept and set(evaluated.table()) == {"gold", "extra:aug"}


def test_settings_are_checked_like_the_cli(tmp_path):
    data = write_example(tmp_path / "example", clips_per_class=1, seconds=0.2)
    with pytest.raises(ConfigError, match="'treshold' is not a setting"):
        synthio.augment(data, where=["split=train"], n=6, out=tmp_path / "aug", treshold=0.9)
    assert not (tmp_path / "aug").exists()


def test_backends_load_from_a_dict_without_contacting_anything():
    llm = synthio.load_llm({"llm": {"backend": "openai", "model": "m", "base_url": "http://user:secret@127.0.0.1:9/v1"}})
    assert "secret" not in llm.name and llm.name.endswith(":m")
    assert synthio.load_clap().name.startswith("embedded")
