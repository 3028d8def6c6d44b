"""Variations of the real clips: ``augment``'s ``init_strength``, the executor task that carries init clips, the ``synthio-variations`` method."""

import json

import numpy as np
import pytest
from pydantic import ValidationError

import synthio.pipeline as augment
from synthio.audio import read_audio
from synthio.cli import METHODS_HELP
from synthio.evaluation import SYNTHETIC_METHODS
from synthio.executor import sample_batch
from tests import augment_child
from tests.align.helpers import small_t2a
from tests.conftest import make_folder

pytestmark = pytest.mark.filterwarnings("ignore")


class Recorder:
    """A T2A that records every ``sample`` call's seeds, init clips and strength, then samples with the wrapped model."""

    def __init__(self, t2a):
        self.t2a, self.calls = t2a, []

    def __getattr__(self, name):
        return getattr(self.t2a, name)

    def sample(self, prompts, seconds, steps, guidance, seeds, init_audio=None, init_strength=1.0):
        self.calls.append({"seeds": list(seeds), "seconds": list(seconds), "init_audio": init_audio, "init_strength": init_strength})
        return self.t2a.sample(prompts, seconds, steps, guidance, seeds, init_audio=init_audio, init_strength=init_strength)


def test_each_clip_starts_from_its_own_real_parent_and_the_manifest_records_the_strength(tmp_path, monkeypatch):
    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.4)
    augment_child.patch(monkeypatch)
    recorder = Recorder(small_t2a())
    monkeypatch.setattr(augment, "load_t2a", lambda spec: recorder)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "reflection_rounds": 0, "factor": 2, "init_strength": 0.3})
    augment.augment_dataset(config)
    manifest = [json.loads(line) for line in (tmp_path / "out/manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 12 and all(row["init_strength"] == 0.3 for row in manifest)
    assert recorder.calls and all(call["init_strength"] == 0.3 for call in recorder.calls)
    init_of_seed = {seed: clip for call in recorder.calls for seed, clip in zip(call["seeds"], call["init_audio"])}
    for row in manifest:
        parent = read_audio(data / row["parent_file"], recorder.sample_rate)
        np.testing.assert_array_equal(init_of_seed[row["seed"]], parent)
    assert len({row["parent_file"] for row in manifest}) == 6


def test_the_strength_lies_in_0_1_and_is_part_of_the_output_fingerprint(tmp_path):
    base = augment.AugmentConfig(data_dir=make_folder(tmp_path / "data", {"low": 1}, seconds=0.1), out=tmp_path / "out")
    assert base.init_strength == 1.0 and base.output_settings()["init_strength"] == 1.0
    assert base.model_copy(update={"init_strength": 0.5}).output_settings() != base.output_settings()
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValidationError, match="init_strength"):
            augment.AugmentConfig(data_dir=tmp_path, out=tmp_path / "out", init_strength=bad)


def test_the_sample_task_forwards_init_clips_only_when_the_batch_carries_them():
    recorder = Recorder(None)
    recorder.t2a = type("Echo", (), {"sample": lambda self, prompts, *args, **kwargs: [kwargs.get("init_strength")] * len(prompts)})()
    assert sample_batch(recorder, (["rain"], [0.5], 2, 3.0, [1])) == [1.0]
    clip = np.ones(8000, np.float32)
    assert sample_batch(recorder, (["rain"], [0.5], 2, 3.0, [1], [clip], 0.4)) == [0.4]
    assert recorder.calls[0]["init_audio"] is None and recorder.calls[1]["init_audio"][0] is clip


def test_synthio_variations_is_synthio_at_half_strength_and_listed_in_the_help(tmp_path):
    assert SYNTHETIC_METHODS["synthio-variations"] == {"init_strength": 0.5}
    assert augment.AugmentConfig(data_dir=tmp_path, out=tmp_path / "out", **SYNTHETIC_METHODS["synthio-variations"]).init_strength == 0.5
    assert "synthio-variations" in METHODS_HELP
