"""Multi-label data end to end: validation, the few-shot sample, training and metrics, the CLAP filter's keep rule, MixCap's captions and the written output."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import synthio.pipeline as augment
from synthio.audio import read_audio, write_audio
from synthio.dataset import Clip, DatasetError, is_multi_label_clips, load_extra, load_parts, read_metadata, split_labels
from synthio.evaluation import EvaluateConfig, evaluate, load_data, retrieved_clips
from synthio.filter import LabelMatch, auto_threshold
from synthio.mixcap import multilabel
from synthio.mixcap.compose import PhrasePool
from synthio.split import SplitError, few_shot_split, iterative_stratified_sample
from synthio.train.classifiers import CNNClassifier
from synthio.train.trainer import TrainConfig, average_precision, choose_threshold, loss_function, mean_average_precision, multi_label_f1, train_classifier
from tests import augment_child
from tests.conftest import SAMPLE_RATE, make_folder, tone, write_metadata

pytestmark = pytest.mark.filterwarnings("ignore")

FREQUENCIES = {"low": 300.0, "mid": 800.0, "high": 2000.0}
SUBSETS = [s for k in (1, 2, 3) for s in itertools.combinations(sorted(FREQUENCIES), k)]  # 7 label sets


def make_multilabel_folder(root: Path, train_per_set: int = 2, test_per_set: int = 1, seconds: float = 0.4) -> Path:
    """Clips that sum the tones of their labels; metadata.csv with file_name,labels,split."""
    rows = []
    for split, count in (("train", train_per_set), ("test", test_per_set)):
        for s, labels in enumerate(SUBSETS):
            for i in range(count):
                name = f"{split}/{'+'.join(labels)}_{i}.wav"
                wave = sum(tone(FREQUENCIES[label] * (1 + 0.02 * i), seconds, seed=10 * s + i) for label in labels) / len(labels)
                write_audio(root / name, wave.astype(np.float32), SAMPLE_RATE)
                rows.append({"file_name": name, "labels": ";".join(labels), "split": split})
    write_metadata(root, rows)
    return root


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_multilabel_folder(tmp_path / "data")


# validation


def test_a_labels_column_gives_tuples_of_labels(data):
    parts = load_parts(data, {"split": {"train"}}, {"split": {"test"}}, SAMPLE_RATE)
    assert parts.multi_label and parts.labels == ["high", "low", "mid"]
    assert len(parts.train) == 14 and len(parts.test) == 7
    clip = next(c for c in parts.train if c.file_name == "train/low+mid_0.wav")
    assert clip.labels == ("low", "mid") and clip.label == "low;mid" and clip.target == ("low", "mid") and clip.all_labels == ("low", "mid")
    assert split_labels(" dog_bark ;; siren;dog_bark ") == ("dog_bark", "siren")


def test_a_single_label_folder_behaves_as_before(tmp_path):
    parts = load_parts(make_folder(tmp_path / "d", {"a": 3, "b": 3}, test_per_class=1), {"split": {"train"}}, {"split": {"test"}}, SAMPLE_RATE)
    assert not parts.multi_label and all(c.labels is None and c.target == c.label for c in parts.train)
    assert not is_multi_label_clips(parts.train + parts.test) and not is_multi_label_clips([])


@pytest.mark.parametrize("multi_label", [False, True])
def test_an_extra_folder_of_the_other_kind_is_refused_naming_its_metadata_csv(data, tmp_path, multi_label):
    single = make_folder(tmp_path / "single", {"low": 2, "mid": 2, "high": 2}, test_per_class=1)
    other = data if not multi_label else single
    with pytest.raises(DatasetError, match="metadata.csv") as raised:
        load_extra(other, ["high", "low", "mid"], SAMPLE_RATE, multi_label=multi_label)
    assert str(other / "metadata.csv") in str(raised.value) and ("rename its label column to labels" if multi_label else "pass a folder with a label column") in str(raised.value)
    clips, _ = load_extra(data if multi_label else single, ["high", "low", "mid"], SAMPLE_RATE, multi_label=multi_label)
    assert is_multi_label_clips(clips) == multi_label


def test_a_single_label_evaluation_refuses_a_multi_label_extra_folder(data, tmp_path):
    single = make_folder(tmp_path / "single", {"low": 3, "mid": 3, "high": 3}, test_per_class=1)
    with pytest.raises(DatasetError, match="multi-label folder in a single-label run"):
        load_data(evaluate_config(single, tmp_path / "out", n=[3], extra_train=[data]))


@pytest.mark.parametrize(("header", "match"), [("file_name,label,labels,split", "both label and labels columns"), ("file_name,split", r"no column\(s\) label")])
def test_both_or_neither_label_column_is_an_error_naming_metadata_csv(data, header, match):
    lines = (data / "metadata.csv").read_text().splitlines()
    body = [line.replace(",", ",x,", 1) if "label," in header else ",".join(line.split(",")[::2]) for line in lines[1:]]
    (data / "metadata.csv").write_text("\n".join([header, *body]) + "\n")
    with pytest.raises(DatasetError, match=match) as raised:
        read_metadata(data)
    assert "metadata.csv" in str(raised.value)


def test_empty_labels_and_unseen_test_labels_are_problems(data):
    rows = read_metadata(data)
    rows[0]["labels"] = " ; "
    write_audio(data / "extra/low_bird.wav", tone(300.0, 0.4), SAMPLE_RATE)
    rows.append({"file_name": "extra/low_bird.wav", "labels": "low;bird", "split": "extra"})
    write_metadata(data, rows)
    with pytest.raises(DatasetError) as raised:
        load_parts(data, {"split": {"train"}}, {"split": {"test", "extra"}}, SAMPLE_RATE)
    kinds = [p.kind for p in raised.value.problems]
    assert "missing labels" in kinds and "unseen test label" in kinds
    parts = load_parts(data, {"split": {"train"}}, {"split": {"test", "extra"}}, SAMPLE_RATE, skip_bad=True)
    assert all("bird" not in c.all_labels for c in parts.test) and len(parts.train) == 13


# the few-shot sample


def skewed_label_sets(rows: int = 200, seed: int = 0) -> list[tuple[str, ...]]:
    """Label sets over 8 labels with very unequal frequencies (the rarest in about 2 % of the rows)."""
    rng = np.random.default_rng(seed)
    weights = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02])
    sets = []
    for _ in range(rows):
        chosen = tuple(f"l{k}" for k in range(8) if rng.random() < weights[k])
        sets.append(chosen or ("l0",))
    return sets


@pytest.mark.parametrize("n", [8, 10, 25, 60])
def test_the_stratified_sample_has_exactly_n_rows_and_every_label(n):
    sets = skewed_label_sets()
    labels = {label for s in sets for label in s}
    for seed in range(10):
        chosen = iterative_stratified_sample(sets, n, np.random.default_rng(seed))
        assert len(chosen) == n == len(set(chosen)) and {label for i in chosen for label in sets[i]} == labels
        assert chosen == iterative_stratified_sample(sets, n, np.random.default_rng(seed))
    assert len({tuple(iterative_stratified_sample(sets, n, np.random.default_rng(seed))) for seed in range(10)}) > 1


def test_the_stratified_sample_follows_the_label_frequencies():
    sets = skewed_label_sets(400)
    chosen = iterative_stratified_sample(sets, 100, np.random.default_rng(0))
    for label in ("l0", "l1", "l2"):
        expected = sum(label in s for s in sets) * 100 / 400
        assert abs(sum(label in sets[i] for i in chosen) - expected) <= 0.2 * expected


def test_few_shot_split_of_a_multi_label_pool(data):
    parts = load_parts(data, {"split": {"train"}}, {"split": {"test"}}, SAMPLE_RATE)
    targets = [c.target for c in parts.train]
    split = few_shot_split(targets, 4, seed=0)
    assert len(split.train) == 4 and not set(split.train) & set(split.val) and len(split.val) == 4
    assert {label for i in split.train for label in targets[i]} == {"low", "mid", "high"}
    assert split == few_shot_split(targets, 4, seed=0)
    with pytest.raises(SplitError, match="smaller than the 3 labels"):
        few_shot_split(targets, 2, seed=0)


def test_validation_shares_no_group_of_a_mixture_with_train():
    sets = skewed_label_sets(120)
    rng = np.random.default_rng(1)
    groups = [";".join(f"r{g}" for g in rng.choice(30, size=int(rng.integers(1, 4)), replace=False)) for _ in sets]
    split = few_shot_split(sets, 10, seed=0, groups=groups)
    train_groups = {g for i in split.train for g in groups[i].split(";")}
    assert split.val and all(not set(groups[i].split(";")) & train_groups for i in split.val)


# training and metrics


def test_average_precision_and_f1_by_hand():
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)  # a tie counts as one threshold
    truth = np.array([[1, 0], [0, 1], [1, 1]])
    assert mean_average_precision(truth, np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.6]])) == pytest.approx(1.0)
    micro, macro = multi_label_f1(truth.astype(bool), np.array([[1, 0], [0, 0], [1, 1]], bool))
    assert micro == pytest.approx(2 * 3 / (2 * 3 + 0 + 1)) and macro == pytest.approx((1.0 + 2 / 3) / 2)
    assert choose_threshold(truth, np.array([[0.9, 0.3], [0.2, 0.35], [0.7, 0.4]])) == 0.35  # the lowest threshold with no false positive


def test_the_multi_label_loss_is_binary_cross_entropy_on_sigmoid_outputs():
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    targets = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    by_hand = -sum(
        y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z))) for row_z, row_y in zip(logits.tolist(), targets.tolist()) for z, y in zip(row_z, row_y)
    ) / 6
    assert float(loss_function(logits, targets)) == pytest.approx(by_hand, rel=1e-6)
    assert float(torch.nn.functional.cross_entropy(logits, targets)) != pytest.approx(by_hand, rel=1e-3)  # softmax cross-entropy accepts these targets too, with another value
    assert float(loss_function(logits, torch.tensor([0, 1]))) == pytest.approx(float(torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))))


def test_the_trainer_uses_binary_cross_entropy_on_multi_hot_targets():
    torch.manual_seed(0)
    labels = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1]] * 3, dtype=torch.float32)
    features = torch.randn(len(labels), 16, 40) + (labels @ torch.randn(3, 40))[:, None, :]
    model = CNNClassifier(["a", "b", "c"], channels=(8,))
    result = train_classifier(model, features, labels, features[:6], labels[:6], TrainConfig(steps=6, batch_size=6, eval_every=3, device="cpu"))
    assert result.val_accuracy is None and 0.0 <= result.val_map <= 1.0


# evaluate


def evaluate_config(folder: Path, out: Path, **kwargs) -> EvaluateConfig:
    settings = dict(
        data_dir=folder, out=out, train_where=["split=train"], test_where=["split=test"], n=[4], seeds=[0],
        methods=["gold", "noise", "specaug"], steps=4, batch_size=8, eval_every=2, copies=2, device="cpu",
    )
    return EvaluateConfig(**(settings | kwargs))


def test_evaluate_reports_map_and_f1_for_every_method(data, tmp_path):
    pool = make_folder(tmp_path / "pool", {"low": 2, "mid": 2, "high": 2})
    results = evaluate(evaluate_config(data, tmp_path / "out", methods=["gold", "noise", "specaug", "retrieval"], factor=[1], retrieval_pool=pool))
    runs = {r["method"]: r for r in results["runs"]}
    assert set(runs) == {"gold", "noise", "specaug", "retrieval"} and results["data"]["multi_label"]
    for run in runs.values():
        assert 0.0 <= run["map"] <= 1.0 and 0.0 <= run["micro_f1"] <= 1.0 and 0.0 <= run["macro_f1"] <= 1.0 and 0.0 <= run["accuracy"] <= 1.0
        assert 0.05 <= run["threshold"] <= 0.95 and run["val_accuracy"] is None and run["val_map"] is not None
    assert runs["gold"]["train_rows"] == 4 and runs["noise"]["train_rows"] == 4 + 4 * 2
    retrieved = runs["retrieval"]["train_rows"] - 4  # one row per retrieved pool clip, whatever the number of labels it was retrieved for
    assert 0 < retrieved <= 6 and retrieved <= sum(len(c.split(";")) for c in _train_labels(data, results))
    summary = (tmp_path / "out/summary.md").read_text()
    assert "## mAP (%)" in summary and "## Micro-F1 (%)" in summary and summary.count("| specaug |") >= 4


def _train_labels(data: Path, results: dict) -> list[str]:
    """The labels text of the few-shot train clips of seed 0 (the retrieval method adds one clip per label of each)."""
    parts = load_parts(data, {"split": {"train"}}, {"split": {"test"}}, SAMPLE_RATE)
    split = few_shot_split([c.target for c in parts.train], results["config"]["n"][0], seed=0)
    return [parts.train[i].label for i in split.train]


class AxisCLAP:
    """Text embeddings: label a, b, c -> axis 0, 1, 2 (the retrieval method's only CLAP call once its cache is filled)."""

    def embed_text(self, texts: list[str]) -> torch.Tensor:
        return torch.stack([torch.eye(3)["abc".index(text.split()[-1])] for text in texts])


def test_retrieval_gives_one_row_per_pool_clip_with_every_label_it_was_retrieved_for(data, tmp_path):
    wave = np.zeros(400, np.float32)
    pool = [Clip(f"pool_{k}.wav", "x", wave, SAMPLE_RATE) for k in range(3)]
    cache = {"pool": pool, "clap": AxisCLAP(), "audio": torch.tensor([[1.0, 1.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 1.0]])}
    train = [Clip("t0.wav", "a;b", wave, SAMPLE_RATE, labels=("a", "b")), Clip("t1.wav", "c", wave, SAMPLE_RATE, labels=("c",))]
    picked = retrieved_clips(evaluate_config(data, tmp_path / "out", retrieval_pool=tmp_path), train, 1, cache)
    assert [(c.file_name, c.labels, c.label) for c in picked] == [("pool_0.wav", ("a", "b"), "a;b"), ("pool_2.wav", ("c",), "c")]
    single = retrieved_clips(evaluate_config(data, tmp_path / "out", retrieval_pool=tmp_path), [Clip("t0.wav", "a", wave, SAMPLE_RATE), Clip("t1.wav", "b", wave, SAMPLE_RATE)], 1, cache)
    assert [(c.file_name, c.label, c.labels) for c in single] == [("pool_0.wav", "a", None), ("pool_0.wav", "b", None)]  # single-label: one row per label, as before


# augment: filter, captions, output


class MultiLabelLLM:
    """Answers MixCap's prompts; its captions name every quoted label (multi-label prompt 2) or the one label (prompt 3)."""

    name = "scripted-multilabel"

    def chat(self, messages, max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        prompt = messages[-1]["content"]
        if '"events"' in prompt:
            return json.dumps({"events": ["wind", "people talking"], "scenes": ["park"]})
        if '"captions"' in prompt:
            names = re.findall(r'"([a-z ]+)"', prompt.split("contains the words")[1].split(", mostly")[0])
            return json.dumps({"captions": [f"{' and '.join(names)} with wind and people talking in the park, take {k}" for k in range(3)]})
        label = prompt.split('did not sound like "')[1].split('"')[0]
        return json.dumps({"caption": f"a clear {label} in a quiet room"})


def augment_output(out: Path) -> tuple[list[str], list[dict], list[dict]]:
    with open(out / "metadata.csv", newline="") as f:
        reader = csv.DictReader(f)
        kept = list(reader)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    return list(reader.fieldnames or []), kept, manifest


@pytest.mark.parametrize("captions", ["compose", "mixcap"])
def test_augment_names_several_labels_filters_on_each_and_writes_a_labels_column(data, tmp_path, monkeypatch, captions):
    augment_child.patch(monkeypatch)
    monkeypatch.setattr(augment, "load_llm", lambda spec: MultiLabelLLM())
    pool_builds = []
    monkeypatch.setattr(multilabel, "phrase_pools", lambda *args, build=multilabel.phrase_pools: pool_builds.append(1) or build(*args))
    settings = {"where": ["split=train"], "seed": 1, "captions": captions, "align": "none", "reflection_rounds": 1, "filter_rule": "margin", "threshold": 0.0}  # seed 1: a split clip has all 3 labels
    config = augment_child.config(data, tmp_path / "out").model_copy(update=settings)
    summary = augment.augment_dataset(config)
    columns, kept, manifest = augment_output(tmp_path / "out")
    assert columns[:2] == ["file_name", "labels"] and summary["rounds"]["0"]["generated"] == 18
    parents = {c.file_name: c.labels for c in load_parts(data, {"split": {"train"}}, {"split": {"test"}}, SAMPLE_RATE).train}
    score_threshold = summary["filter"]["thresholds"]["score"]
    for row in manifest:
        labels = row["labels"]
        assert 2 <= len(labels) <= 4 and row["label"] == ";".join(labels) and set(parents[row["parent_file"]]) <= set(labels)
        assert all(label in row["caption"] for label in labels), row["caption"]
        if len(labels) == 3:  # every label of the split: no margin, judged by the score rule
            assert row["clap_margin"] is None and row["kept"] == (row["clap_score"] >= score_threshold)
        else:
            assert row["kept"] == (row["clap_margin"] >= 0.0)
    assert any(len(row["labels"]) == 3 for row in manifest) and any(len(row["labels"]) == 2 for row in manifest)
    assert summary["rounds"]["1"]["generated"] == summary["rounds"]["0"]["rejected"] >= 2
    assert len(pool_builds) == (2 if captions == "compose" else 0)  # compose: once for the captions, once for the reflection round
    assert sorted(r["labels"] for r in kept) == sorted(r["label"] for r in manifest if r["kept"])

    # the keep value is the weakest label's margin over the best label the clip lacks, recomputed here from the clip
    from synthio.backends import load_clap
    from synthio.filter import label_match

    order = ["high", "low", "mid"]
    row = next(row for row in manifest if len(row["labels"]) == 2)
    match = label_match(load_clap(config.clap), [read_audio(tmp_path / "out/work" / row["file"], SAMPLE_RATE)], SAMPLE_RATE, order)
    own = [order.index(label) for label in row["labels"]]
    others = [k for k in range(3) if k not in own]
    expected = float(match.cosines[0, own].min() - match.cosines[0, others].max())
    assert row["clap_margin"] == pytest.approx(expected, abs=1e-5)

    clips, _ = load_extra(tmp_path / "out", order, SAMPLE_RATE)
    assert len(clips) == len(kept) and all(c.labels is not None and len(c.labels) >= 2 for c in clips)


def test_the_keep_rule_is_the_weakest_label():
    match = LabelMatch(torch.tensor([[0.9, 0.5, 0.1], [0.9, 0.2, 0.8], [0.3, 0.3, 0.3]]), 0.0)
    margins = match.values([[0, 1], [0, 2], [0, 1, 2]], "margin")
    assert margins[:2].tolist() == pytest.approx([0.5 - 0.1, 0.8 - 0.2]) and margins[2].isnan()  # every label carried: no label it lacks, no margin
    scores = match.values([[0, 1], [0, 2], [0, 1, 2]], "score")
    assert scores.tolist() == pytest.approx(torch.sigmoid(torch.tensor([0.5, 0.8, 0.3])).tolist())
    assert match.values([0, 0, 1], "margin").tolist() == pytest.approx([0.9 - 0.5, 0.9 - 0.8, 0.0])  # single-label: unchanged


def test_a_clip_carrying_every_label_is_judged_by_the_score_rule_and_left_out_of_margin_calibration():
    match = LabelMatch(torch.tensor([[0.9, 0.5, 0.1], [0.9, 0.85, 0.8], [0.2, 0.1, 0.15]]), 0.0)
    own = [[0, 1], [0, 1, 2], [0, 1, 2]]
    scores = match.values(own, "score")
    assert match.kept(own, "margin", 0.0, float(scores[1])).tolist() == [True, True, False]  # rows 1, 2: score 0.69 and 0.52 against 0.69
    assert match.kept(own, "margin", 0.5, 0.0).tolist() == [False, True, True]
    assert auto_threshold(match.values(own, "margin"), 50.0) == pytest.approx(0.4)  # the one clip with a margin
    with pytest.raises(ValueError, match="no real clips"):
        auto_threshold(match.values(own[1:], "margin"), 50.0)


def test_mixcap_label_sets_and_captions():
    sets = multilabel.caption_label_sets([("a",), ("a", "b"), ("a", "b", "c", "d", "e")], seed=0)
    assert sets[0][0] == "a" and len(sets[0]) == 2 and sets[1] == ("a", "b") and len(sets[2]) == 4 and set(sets[2]) <= {"a", "b", "c", "d", "e"}
    assert sets == multilabel.caption_label_sets([("a",), ("a", "b"), ("a", "b", "c", "d", "e")], seed=0)
    assert multilabel.with_labels("a dog bark in the rain", ["dog_bark", "siren"]) == ("siren, a dog bark in the rain", True)
    assert multilabel.template_caption(["dog_bark", "siren"]) == "Sound of a dog bark and a siren"
    pools = {"dog_bark": PhrasePool(qualities=["loud"], events=["cars passing"]), "siren": PhrasePool(scenes=["in the street"])}
    for caption in multilabel.compose_label_captions(["dog_bark", "siren"], pools, 3, seed=1):
        assert "dog bark" in caption and "siren" in caption
