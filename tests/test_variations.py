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


def run_from_pool(tmp_path, monkeypatch, pool_counts: dict[str, int]):
    """An augment run whose variations start from a pool folder; its config, manifest rows and the recorded ``sample`` calls."""
    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.4)
    pool = make_folder(tmp_path / "pool", pool_counts, seconds=0.3)
    augment_child.patch(monkeypatch)
    recorder = Recorder(small_t2a())
    monkeypatch.setattr(augment, "load_t2a", lambda spec: recorder)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "reflection_rounds": 1, "threshold": 1.0, "factor": 2, "init_strength": 0.3, "init_pool": pool})
    augment.augment_dataset(config)
    manifest = [json.loads(line) for line in (tmp_path / "out/manifest.jsonl").read_text().splitlines()]
    return config, manifest, recorder


def test_pool_variations_start_from_the_clips_retrieval_picks_and_keep_them_across_reflection_rounds(tmp_path, monkeypatch):
    from synthio.retrieval import embed_pool, nearest_to_labels

    config, manifest, recorder = run_from_pool(tmp_path, monkeypatch, {"low": 4, "high": 4, "other": 4})
    assert len(manifest) == 24 and {row["round"] for row in manifest} == {0, 1}  # threshold 1.0 rejects every clip once
    clap = augment.load_clap(config.clap)
    pool, audio = embed_pool(config.init_pool, clap, recorder.sample_rate, "init_pool")
    expected = {label: sorted(pool[i].file_name for i, picked in nearest_to_labels(clap, audio, {"low": 6, "high": 6}) if picked == label) for label in ("low", "high")}
    for label in ("low", "high"):
        assert sorted(row["init_file"] for row in manifest if row["label"] == label and row["round"] == 0) == expected[label]
    by_id = {row["id"]: row for row in manifest}
    assert all(row["init_file"] == by_id[row["parent_id"]]["init_file"] for row in manifest if row["round"] == 1)
    init_of_seed = {seed: clip for call in recorder.calls for seed, clip in zip(call["seeds"], call["init_audio"])}
    for row in manifest:
        start = read_audio(config.init_pool / row["init_file"], recorder.sample_rate)
        np.testing.assert_array_equal(init_of_seed[row["seed"]], np.pad(start, (0, round(row["seconds"] * recorder.sample_rate) - len(start))))
    assert (tmp_path / "out/work/init_pool.json").is_file()


def test_a_pool_is_read_only_by_variations_must_hold_enough_clips_and_is_fingerprinted(tmp_path, monkeypatch):
    base = augment.AugmentConfig(data_dir=make_folder(tmp_path / "data", {"low": 1}, seconds=0.1), out=tmp_path / "out", n=1, init_strength=0.5)
    with pytest.raises(ValidationError, match="init_pool is read only by variations"):
        augment.AugmentConfig(data_dir=tmp_path, out=tmp_path / "out", init_pool=tmp_path)
    pool = make_folder(tmp_path / "pool", {"low": 2}, seconds=0.1)
    settings = base.model_copy(update={"init_pool": pool}).output_settings()
    assert settings["init_pool_digest"] and "init_pool_digest" not in base.output_settings()
    from synthio.config import ConfigError

    with pytest.raises(ConfigError, match="(?s)init_pool .*nowhere: .*missing folder"):
        base.model_copy(update={"init_pool": tmp_path / "nowhere"}).check()

    with pytest.raises(ConfigError, match=r"init_pool .*pool: 3 usable clip\(s\), fewer than the 6"):
        run_from_pool(tmp_path / "small", monkeypatch, {"low": 3})


def test_retrieval_variations_take_the_retrieval_pool_and_refuse_to_run_without_one(tmp_path):
    from synthio.config import ConfigError
    from synthio.evaluation import EvaluateConfig, synthetic_config

    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.2, test_per_class=2)
    settings = dict(data_dir=data, out=tmp_path / "out", train_where=["split=train"], test_where=["split=test"], n=[6], seeds=[0], methods=["gold", "retrieval-variations"])
    with pytest.raises(ConfigError, match="retrieval-variations .*needs --retrieval-pool"):
        EvaluateConfig(**settings).check()
    augment_config = synthetic_config(EvaluateConfig(**settings, retrieval_pool=data), "retrieval-variations", 6, 0, 4)
    assert (augment_config.init_pool, augment_config.init_strength) == (data, 0.5)
    assert "retrieval-variations" in METHODS_HELP


def test_settings_the_data_refuses_leave_the_folder_to_the_corrected_command(tmp_path, monkeypatch):
    from synthio.config import ConfigError
    from synthio.outdir import check_output
    from tests.test_multilabel import make_multilabel_folder

    augment_child.patch(monkeypatch)
    multi = make_multilabel_folder(tmp_path / "ml")
    pool = make_folder(tmp_path / "pool", {"low": 4}, seconds=0.2)
    base = augment_child.config(multi, tmp_path / "out").model_copy(update={"where": ["split=train"], "n": 4, "align": "none"})
    with pytest.raises(ConfigError, match="init_pool takes single-label data"):
        augment.augment_dataset(base.model_copy(update={"init_strength": 0.5, "init_pool": pool}))
    check_output(base.out, "augment", base.output_settings())  # the corrected settings may take the folder
    one_class = make_folder(tmp_path / "one", {"low": 3}, seconds=0.2)
    margin = augment_child.config(one_class, tmp_path / "out2").model_copy(update={"n": 2, "align": "none", "filter_rule": "margin", "threshold": 0.0})
    with pytest.raises(ConfigError, match="filter_rule: margin needs at least two labels"):
        augment.augment_dataset(margin)
    corrected = margin.model_copy(update={"filter_rule": "score", "threshold": 0.5})
    check_output(corrected.out, "augment", corrected.output_settings())


def test_a_pool_holding_the_datasets_other_clips_or_no_usable_clip_is_refused_before_any_file(tmp_path, monkeypatch):
    from synthio.config import ConfigError

    augment_child.patch(monkeypatch)
    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.3, test_per_class=1)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"where": ["split=train"], "align": "none", "factor": 1, "init_strength": 0.5})
    with pytest.raises(ConfigError, match=r"init_pool .*data: 4 of its file\(s\) are clips of .*data outside the few-shot split \(e.g. test/high_0.wav\)"):
        augment.augment_dataset(config.model_copy(update={"n": 4, "init_pool": data}))
    unusable = tmp_path / "unusable"
    unusable.mkdir()
    (unusable / "metadata.csv").write_text("file_name,label\nnope1.wav,low\nnope2.wav,low\n")
    with pytest.raises(ConfigError, match=r"init_pool .*unusable: no usable clip to retrieve from \(all 2 row\(s\) skipped\)"):
        augment.augment_dataset(config.model_copy(update={"init_pool": unusable}))
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith(".")]
    with pytest.raises(ValidationError, match="init_pool names no folder"):
        augment.AugmentConfig(data_dir=data, out=tmp_path / "o", init_strength=0.5, init_pool=" ")


def test_evaluate_takes_a_pool_only_from_retrieval_pool_and_only_for_single_label_data(tmp_path):
    from synthio.config import ConfigError
    from synthio.evaluation import EvaluateConfig
    from tests.test_multilabel import make_multilabel_folder

    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.2, test_per_class=2)
    pool = make_folder(tmp_path / "pool", {"low": 3}, seconds=0.2)
    (tmp_path / "augment.yaml").write_text(f"init_pool: {pool}\n")  # without init_strength: the refusal is evaluate's, not the setting's own
    settings = dict(out=tmp_path / "out", train_where=["split=train"], test_where=["split=test"], n=[6], seeds=[0])
    with pytest.raises(ConfigError, match="augment.yaml sets init_pool, which evaluate does not take from it"):
        EvaluateConfig(data_dir=data, methods=["synthio"], augment_config=tmp_path / "augment.yaml", **settings).check()
    multi = make_multilabel_folder(tmp_path / "ml")
    with pytest.raises(ConfigError, match="method retrieval-variations takes single-label data"):
        EvaluateConfig(data_dir=multi, methods=["gold", "retrieval-variations"], retrieval_pool=pool, **{**settings, "n": [4]}).check()


def test_a_variations_folder_begun_before_init_pool_existed_resumes(tmp_path):
    from synthio.outdir import MARKER, check_output, fingerprint

    config = augment.AugmentConfig(data_dir=make_folder(tmp_path / "data", {"low": 2}, seconds=0.1), out=tmp_path / "out", n=1, init_strength=0.5)
    older = {key: value for key, value in config.output_settings().items() if key != "init_pool"}
    (config.out / "work").mkdir(parents=True)
    (config.out / "work" / "config.json").write_text("{}")
    (config.out / MARKER).write_text(json.dumps({"command": "augment", "fingerprint": fingerprint(older), "settings": older}))
    assert check_output(config.out, "augment", config.output_settings(), added_later=config.added_later()) == older


def test_retrieval_variations_refuse_a_pool_whose_picked_clip_copies_a_test_clip(tmp_path, monkeypatch):
    import shutil

    from synthio.audio import write_audio
    from synthio.dataset import SelectionError
    from synthio.evaluation import EvaluateConfig, evaluate
    from tests.conftest import SAMPLE_RATE, tone

    augment_child.patch(monkeypatch)
    data = make_folder(tmp_path / "data", {"low": 3, "high": 3}, seconds=0.3, test_per_class=1)
    write_audio(data / "test/low_0.wav", tone(950.0, 0.3, seed=7), SAMPLE_RATE)  # a test clip no train clip sounds like
    pool = make_folder(tmp_path / "pool", {"low": 2}, seconds=0.3)
    shutil.copy(data / "test/low_0.wav", pool / "train/low_1.wav")  # the pool's two clips are every label's picks
    (tmp_path / "augment.yaml").write_text("align: none\ncaptions: template\nfilter: false\nreflection_rounds: 0\nsample_steps: 2\nreport: false\n")
    config = EvaluateConfig(
        data_dir=data, out=tmp_path / "out", train_where=["split=train"], test_where=["split=test"], n=[2], seeds=[0], methods=["retrieval-variations"],
        factor=[1], retrieval_pool=pool, augment_config=tmp_path / "augment.yaml", steps=2,
    )
    with pytest.raises(SelectionError, match=r"--retrieval-pool .*pool: 1 of its file\(s\) are test clips or copies of them \(e.g. train/low_1.wav\)"):
        evaluate(config)
