"""The measuring stick: train a classifier on few-shot splits with each augmentation method, test once.

For every ``n`` and seed the few-shot split (``synthio.split``) is drawn once and shared by all
methods, so methods differ only in their extra training rows or online augmentation. Runs are
appended to ``OUT/results.json`` as they finish; rerunning the same command resumes, skipping
finished runs. ``summary.md`` and ``summary.png`` are rewritten from the runs at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import torch
import yaml
from pydantic import BaseModel, Field, field_validator

from synthio.atomic import write_text_atomic
from synthio.audio import fit_duration, read_audio
from synthio.config import ConfigError
from synthio.dataset import LABEL_SEPARATOR, Clip, LabelledParts, Problem, SelectionError, is_multi_label_clips, is_multi_label_rows, load_extra, load_parts, parse_where, read_metadata, read_rows, row_target, select
from synthio.outdir import OutputFolderError, claim_output, file_digest, fingerprint
from synthio.progress import console, say, track
from synthio.split import FewShotSplit, check_n, few_shot_split
from synthio.train.classic import CLASSIC_METHODS, augmented_copies, get_method
from synthio.train.classifiers import CLASSIFIERS, build_classifier
from synthio.train.trainer import (
    TrainConfig,
    accuracy,
    choose_threshold,
    macro_f1,
    mean_average_precision,
    multi_label_f1,
    predict_logits,
    train_classifier,
)

EXTRA_PREFIX = "extra:"
SYNTHETIC_METHODS: dict[str, dict] = {
    "vanilla-syn": {"captions": "template", "align": "none", "filter": False, "reflection_rounds": 0},
    "llm-caps": {"captions": "llm", "align": "none", "filter": False, "reflection_rounds": 0},
    "synthio": {},
    "template-captions": {"captions": "template"},
    "compose-captions": {"captions": "compose"},
    "erm": {"align": "erm"},
    "no-reflection": {"reflection_rounds": 0},
    "no-mixcap": {"captions": "llm"},
    "no-dpo": {"align": "none"},
    "synthio-variations": {"init_strength": 0.5},  # half the steps from each real clip, noised halfway: a midpoint of the diversity-fidelity trade-off
    "retrieval-variations": {"init_strength": 0.5, "init_pool": "--retrieval-pool"},  # the same, from the clips retrieval picks
}
RETRIEVAL = "retrieval"
POOL_METHODS = {RETRIEVAL, *(name for name, settings in SYNTHETIC_METHODS.items() if "init_pool" in settings)}  # the methods that read --retrieval-pool


class EvaluateConfig(BaseModel):
    """Settings of ``synthio evaluate`` (YAML keys = these field names)."""

    data_dir: Path
    out: Path
    train_where: list[str] = Field(default_factory=list, description="COLUMN=VALUE filters selecting the train pool")
    test_where: list[str] = Field(default_factory=list, description="COLUMN=VALUE filters selecting the test part")
    n: list[Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: [50, 100, 200], description="few-shot sizes (paper rule)")
    methods: list[str] = Field(default_factory=lambda: ["gold", "noise", "pitch", "specaug", "audiomentations"])
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=lambda: [0, 1, 2, 3, 4], description="one few-shot split per seed; 5 by default so paired intervals can separate methods")
    val_n: int | None = Field(None, description="validation size carved from the rest of the pool (default: n)")
    val_group: str | None = Field(None, description="column naming each clip's source (e.g. freesound_id): no validation clip shares one with a train clip")
    classifier: Literal[CLASSIFIERS] = "cnn"
    classifier_path: Path | None = Field(None, description="ast: checkpoint folder or config.json; cnn-pretrained, clap-probe: tiny-CLAP model folder (default: the shipped tiny CLAP v1)")
    sample_rate: int = Field(16000, gt=0)
    seconds: float | None = Field(None, gt=0, allow_inf_nan=False, description="clip length for the classifier (default: 95th percentile of the pool, up to 10 s)")
    copies: int = Field(4, ge=1, description="augmented copies per real clip for waveform methods")
    extra_train: list[Path] = Field(default_factory=list, description="audiofolders whose rows are added as method extra:NAME")
    factor: list[Annotated[int, Field(ge=1, le=64)]] = Field(default_factory=lambda: [4], description="synthetic (and retrieved) clips per real clip; several = a sweep, methods named NAME@Kx")
    augment_config: Path | None = Field(None, description="YAML of `synthio augment` settings (backends, threshold, ...) for the synthetic methods")
    retrieval_pool: Path | None = Field(None, description="audiofolder the retrieval method draws CLAP-nearest clips from, and where retrieval-variations start (e.g. the pretraining corpus)")
    skip_bad: bool = False
    steps: int = Field(300, ge=1, description="optimiser steps per run (the same for every method)")
    batch_size: int = Field(32, ge=1)
    learning_rate: float | None = Field(None, gt=0)
    synthetic_schedule: Literal["mix", "pretrain"] = Field(
        "mix", description="generated rows (synthetic, retrieved, --extra-train): mix = one training on them and the real clips; pretrain = a training on them alone, then one on the real clips (steps each; input statistics from all rows)"
    )
    synthetic_gate: Literal["off", "validation"] = Field(
        "off",
        description="generated rows: off = always used; validation = only where training with them beats the real clips alone on the split's validation part (a tie keeps the real clips)",
    )
    eval_every: int = Field(25, ge=1)
    device: str = "auto"

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, methods: list[str]) -> list[str]:
        unknown = [name for name in methods if name not in SYNTHETIC_METHODS and name != RETRIEVAL and name not in CLASSIC_METHODS]
        if unknown:
            raise ValueError(f"unknown method(s) {', '.join(map(repr, unknown))}; choose from {', '.join([*CLASSIC_METHODS, *SYNTHETIC_METHODS, RETRIEVAL])}")
        return methods

    @field_validator("extra_train")
    @classmethod
    def _distinct_extra_names(cls, folders: list[Path]) -> list[Path]:
        names = [extra_method(folder) for folder in folders]
        clashing = sorted({name for name in names if names.count(name) > 1})
        if clashing:
            shown = ", ".join(str(folder) for folder in folders if extra_method(folder) == clashing[0])
            raise ValueError(f"{shown} would all run as method {clashing[0]}: give each folder once, and folders of distinct names")
        return folders

    @field_validator("n", "seeds", "methods", "factor")
    @classmethod
    def _non_empty_and_distinct(cls, values: list) -> list:
        if not values:
            raise ValueError("must not be empty")
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"repeats {', '.join(repeated)}: each value runs once, give it once")
        return values

    def output_settings(self) -> dict:
        """Every setting that changes a run's result (not ``out``, ``n``, ``seeds``, ``methods``), with the augment config's content digest."""
        defaults = [name for name, default in (("synthetic_schedule", "mix"), ("synthetic_gate", "off")) if getattr(self, name) == default]
        keep = self.model_dump(mode="json", exclude={"out", "n", "seeds", "methods", "device", *defaults})
        keep["augment_config_digest"] = file_digest(self.augment_config)
        return keep

    def check(self) -> None:
        """Check the filters and every ``n`` against the train pool from ``metadata.csv`` alone, and the augment YAML of the synthetic methods, before anything is written or decoded."""
        missing = [flag for flag, where in (("--train-where", self.train_where), ("--test-where", self.test_where)) if not where]
        if missing:
            raise ConfigError(f"{' and '.join(missing)} missing (YAML: {' and '.join(flag[2:].replace('-', '_') for flag in missing)}): evaluate needs both filters, e.g. --train-where fold=3 --test-where fold=10 (docs/prepare.md)")
        rows = read_metadata(self.data_dir)
        labels = [row_target(row) for row in select(rows, parse_where(self.train_where), self.data_dir)]
        for n in self.n:
            check_n(n, labels)
        if self.augment_config is not None and Path(self.augment_config).is_file():
            try:
                pool_set = "init_pool" in (yaml.safe_load(Path(self.augment_config).read_text()) or {})
            except (yaml.YAMLError, TypeError):
                pool_set = False  # load_config says what is wrong with the file
            if pool_set:
                raise ConfigError(
                    f"--augment-config {self.augment_config} sets init_pool, which evaluate does not take from it (the pool must be checked against the test part): "
                    "drop it and run the retrieval-variations method with --retrieval-pool"
                )
        for name in (name for name in self.methods if name in SYNTHETIC_METHODS):
            synthetic_config(self, name, self.n[0], self.seeds[0], self.factor[0])  # the augment YAML refused now, not after the classic methods have trained
            if name in POOL_METHODS and is_multi_label_rows(rows):
                raise ConfigError(f"method {name} takes single-label data (a pool clip is retrieved for one label); drop it from --methods for this multi-label folder")
        if self.retrieval_pool is not None and not POOL_METHODS & set(self.methods):
            raise ConfigError("--retrieval-pool is read only by the retrieval and retrieval-variations methods: add one to --methods, or drop --retrieval-pool")
        if self.classifier_path is not None and self.classifier == "cnn":
            raise ConfigError("--classifier-path is read only by the ast, cnn-pretrained and clap-probe classifiers: choose one with --classifier, or drop --classifier-path")
        if RETRIEVAL in self.methods:
            from synthio.backends import BackendsConfig

            BackendsConfig.from_yaml(self.augment_config)

    def fingerprint(self) -> str:
        """Hash of ``output_settings``: runs with another fingerprint cannot share one results.json."""
        return fingerprint(self.output_settings())


def extra_method(folder: Path) -> str:
    """The method name of an ``--extra-train`` folder: ``extra:`` and the folder's own name (of its absolute path, so ``.`` has one)."""
    return EXTRA_PREFIX + Path(os.path.abspath(folder)).name


def auto_seconds(clips: list[Clip], quantile: float = 0.95, step: float = 0.5, limit: float = 10.0) -> float:
    """The pool's 95th-percentile duration rounded up to 0.5 s, capped at 10 s."""
    durations = np.array([c.seconds for c in clips])
    return float(min(limit, max(step, np.ceil(np.quantile(durations, quantile) / step) * step)))


def featurize(model, waveforms: list[np.ndarray], num_samples: int, batch_size: int = 64, description: str | None = None) -> torch.Tensor:
    """Centre-crop or zero-pad each waveform to ``num_samples``, then the classifier's features."""
    batches = range(0, len(waveforms), batch_size)
    if description:
        batches = track(batches, description)
    out = []
    for start in batches:
        chunk = waveforms[start : start + batch_size]
        fitted = [fit_duration(w, num_samples, "pad", offset=max(0, (len(w) - num_samples) // 2)) for w in chunk]
        out.append(model.featurize(torch.from_numpy(np.stack(fitted))).cpu())
    return torch.cat(out)


def synthetic_config(config: EvaluateConfig, name: str, n: int, seed: int, factor: int):
    """The ``synthio augment`` settings of one split of synthetic method ``name``: the augment config with the method's and the split's settings."""
    from synthio.config import load_config
    from synthio.pipeline import AugmentConfig

    out = config.out / "synthetic" / f"{name}-x{factor}-n{n}-s{seed}"
    method = dict(SYNTHETIC_METHODS[name])
    if "init_pool" in method:
        if config.retrieval_pool is None:
            raise ConfigError(f"method {name} starts its clips from the ones retrieval picks: it needs --retrieval-pool (an audiofolder, e.g. the pretraining corpus)")
        method["init_pool"] = config.retrieval_pool
    overrides = {"data_dir": config.data_dir, "out": out, "where": config.train_where, "n": n, "seed": seed, "factor": factor, "skip_bad": config.skip_bad, "verdict": False, **method}
    return load_config(AugmentConfig, config.augment_config, overrides)


def synthetic_clips(config: EvaluateConfig, name: str, n: int, seed: int, factor: int, labels: list[str]) -> list[Clip]:
    """Run (or resume) ``synthio augment`` for one split with the method's settings; its kept clips."""
    from synthio.pipeline import augment_dataset

    augment = synthetic_config(config, name, n, seed, factor)
    augment_dataset(augment)
    clips, _ = load_extra(augment.out, labels, config.sample_rate)
    return clips


def retrieved_clips(config: EvaluateConfig, train: list[Clip], factor: int, cache: dict, leak_guard: LeakGuard | None = None) -> list[Clip]:
    """``factor`` clips per real clip of each label: the pool clips nearest to "Sound of a {label}" in CLAP space.

    Multi-label: one clip per pool clip, carrying every label it was retrieved for (in first-retrieved order).
    """
    from synthio.backends import BackendsConfig, load_clap
    from synthio.retrieval import embed_pool, nearest_to_labels

    if config.retrieval_pool is None:
        raise ConfigError("the retrieval method needs --retrieval-pool (an audiofolder, e.g. the pretraining corpus)")
    if "pool" not in cache:
        clap = load_clap(BackendsConfig.from_yaml(config.augment_config).clap)
        pool, audio = embed_pool(config.retrieval_pool, clap, config.sample_rate, "--retrieval-pool")
        if leak_guard is not None:
            leak_guard.refuse("--retrieval-pool", config.retrieval_pool, [], pool)
        cache.update(pool=pool, clap=clap, audio=audio)
    pool, clap, audio = cache["pool"], cache["clap"], cache["audio"]
    counts = Counter(label for c in train for label in c.all_labels)
    picked = nearest_to_labels(clap, audio, {label: factor * count for label, count in counts.items()})
    if not is_multi_label_clips(train):
        return [Clip(pool[i].file_name, label, pool[i].samples, pool[i].sample_rate, pool[i].meta) for i, label in picked]
    labels_of: dict[int, tuple[str, ...]] = {}
    for i, label in picked:
        labels_of[i] = labels_of.get(i, ()) + (label,)
    return [Clip(pool[i].file_name, LABEL_SEPARATOR.join(labels), pool[i].samples, pool[i].sample_rate, pool[i].meta, labels) for i, labels in labels_of.items()]


def load_results(path: Path, fingerprint: str) -> list[dict]:
    """Finished runs of an earlier call with the same settings; refuse to mix different settings."""
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    if data.get("fingerprint") != fingerprint:
        raise OutputFolderError(f"{path} holds runs made with other settings; use another --out or delete it")
    return list(data.get("runs", []))


def evaluate(config: EvaluateConfig, force: bool = False) -> dict:
    """Run every (n, seed, method) not yet in ``OUT/results.json`` (OUT claimed and locked, see ``synthio.outdir``); return the results dict."""
    config.check()
    inputs = (config.data_dir, *config.extra_train, *([config.retrieval_pool] if config.retrieval_pool else []))
    with claim_output(config.out, "evaluate", config.output_settings(), inputs=inputs, force=force, outputs=("results.json", "summary.md", "summary.png", "report")):
        return run_evaluation(config)


@dataclass
class EvaluationData:
    """The decoded train pool and test part, the extra folders, every skipped row and the validation groups."""

    parts: LabelledParts
    extras: dict[str, list[Clip]]
    skipped: list[Problem]
    groups: list[str] | None
    leak_guard: LeakGuard


@dataclass
class Features:
    """Classifier features of every clip the runs share, computed once per evaluation (one featurizer, one clip length)."""

    featurizer: torch.nn.Module
    num_samples: int
    label_index: dict[str, int]
    pool: torch.Tensor
    pool_labels: torch.Tensor
    test: torch.Tensor
    test_labels: np.ndarray
    extras: dict[str, tuple[torch.Tensor, torch.Tensor]]
    multi_label: bool = False

    def of(self, clips: list[Clip]) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and label indices (multi-label: multi-hot rows) of more clips (synthetic, retrieved)."""
        return featurize(self.featurizer, [c.samples for c in clips], self.num_samples), targets_of(clips, self.label_index, self.multi_label)


def targets_of(clips: list[Clip], label_index: dict[str, int], multi_label: bool) -> torch.Tensor:
    """Class indices ``(N,)``, or for multi-label data multi-hot rows ``(N, num_labels)`` (float) of every label of each clip."""
    if not multi_label:
        return torch.tensor([label_index[c.label] for c in clips], dtype=torch.long)
    hot = torch.zeros(len(clips), len(label_index))
    for row, clip in enumerate(clips):
        hot[row, [label_index[label] for label in clip.all_labels]] = 1.0
    return hot


def load_data(config: EvaluateConfig) -> EvaluationData:
    """Decode and validate the parts and the ``--extra-train`` folders; list skipped rows; read the validation groups."""
    parts = load_parts(config.data_dir, parse_where(config.train_where), parse_where(config.test_where), config.sample_rate, config.skip_bad)
    for n in config.n:
        check_n(n, [c.target for c in parts.train])
    skipped, extras = list(parts.skipped), {}
    leak_guard = LeakGuard.of(parts)
    for folder in config.extra_train:
        clips, problems = load_extra(folder, parts.labels, config.sample_rate, skip_bad=config.skip_bad, multi_label=parts.multi_label)
        if not clips:
            say("warning:", f"--extra-train {folder} holds no usable rows: method {extra_method(folder)} trains on the few-shot clips alone", style="yellow")
        leak_guard.refuse("--extra-train", folder, [c.file_name for c in clips], clips)
        extras[extra_method(folder)] = clips
        skipped += problems
    if config.retrieval_pool is not None:
        leak_guard.refuse("--retrieval-pool", config.retrieval_pool, [row["file_name"] for row in read_rows(config.retrieval_pool)[0]])
    for problem in skipped:
        say("skipped", problem)
    groups = None
    if config.val_group is not None:
        if any(config.val_group not in c.meta for c in parts.train):
            raise ConfigError(f"--val-group {config.val_group}: no such column in {config.data_dir}/metadata.csv")
        groups = [c.meta[config.val_group] for c in parts.train]
    return EvaluationData(parts, extras, skipped, groups, leak_guard)


@dataclass
class LeakGuard:
    """The test part's files by path and its clips by content (a digest of the decoded samples): a training source leaks a test clip through the file itself or a copy.

    A copy is caught when it decodes to the same samples (the same file under another name, or a
    lossless re-encoding); a resampled or lossy copy is not. Content the train pool also holds is
    left out: a dataset whose parts share a recording carries that overlap itself, whichever clips
    a split draws, and a copy elsewhere is not what this check is for.
    """

    paths: set[Path]
    digests: set[str]

    @classmethod
    def of(cls, parts: LabelledParts) -> LeakGuard:
        train = {samples_digest(c) for c in parts.train}
        return cls({(parts.root / c.file_name).resolve() for c in parts.test}, {samples_digest(c) for c in parts.test} - train)

    def refuse_files(self, flag: str, folder: Path, file_names: list[str], sample_rate: int) -> None:
        """``refuse`` on ``file_names`` of ``folder``, decoded at ``sample_rate`` (the test part's rate)."""
        self.refuse(flag, folder, file_names, [Clip(name, "", read_audio(Path(folder) / name, sample_rate), sample_rate) for name in file_names])

    def refuse(self, flag: str, folder: Path, file_names: list[str], clips: list[Clip] | None = None) -> None:
        """Raise when ``folder`` (a training source) holds test files among ``file_names``, or decoded ``clips`` that copy test clips: training on them would inflate the test accuracy."""
        leaked = {name for name in file_names if (Path(folder) / name).resolve() in self.paths} | {c.file_name for c in clips or [] if samples_digest(c) in self.digests}
        if leaked:
            raise SelectionError(
                f"{flag} {folder}: {len(leaked)} of its file(s) are test clips or copies of them (e.g. {sorted(leaked)[0]}); training on them would inflate the test accuracy: remove them from that folder"
            )


def samples_digest(clip: Clip) -> str:
    """A digest of a decoded clip's samples and sample rate (the same sound in another file, or another lossless format, has the same)."""
    return hashlib.sha256(np.ascontiguousarray(clip.samples, dtype=np.float32).tobytes() + str(clip.sample_rate).encode()).hexdigest()


def compute_features(config: EvaluateConfig, data: EvaluationData, seconds: float) -> Features:
    """Features of the pool, the test part and the non-empty extra folders at ``seconds`` per clip."""
    parts = data.parts
    num_samples = int(round(seconds * config.sample_rate))
    label_index = {label: i for i, label in enumerate(parts.labels)}
    featurizer = build_classifier(config.classifier, parts.labels, config.sample_rate, config.classifier_path)
    features = Features(
        featurizer, num_samples, label_index,
        pool=featurize(featurizer, [c.samples for c in parts.train], num_samples, description="features: train pool"),
        pool_labels=targets_of(parts.train, label_index, parts.multi_label),
        test=featurize(featurizer, [c.samples for c in parts.test], num_samples, description="features: test part"),
        test_labels=targets_of(parts.test, label_index, parts.multi_label).numpy(),
        extras={},
        multi_label=parts.multi_label,
    )
    features.extras = {name: features.of(clips) for name, clips in data.extras.items() if clips}
    return features


def method_rows(config: EvaluateConfig, extras: dict[str, list[Clip]]) -> tuple[list[str], dict[str, tuple[str, int]]]:
    """Every method name in run order (``NAME@Kx`` for a factor sweep) and, for generated ones, ``name -> (method, factor)``."""
    generated = [m for m in config.methods if m in SYNTHETIC_METHODS or m == RETRIEVAL]
    labelled = {(m, f): m if len(config.factor) == 1 else f"{m}@{f}x" for m in generated for f in config.factor}
    methods = [m for m in config.methods if m not in generated] + list(labelled.values()) + list(extras)
    return methods, {label: key for key, label in labelled.items()}


def training_rows(config: EvaluateConfig, name: str, n: int, seed: int, split: FewShotSplit, data: EvaluationData, features: Features, source: dict, cache: dict):
    """Features, labels and the online SpecAugment (or None) that method ``name`` trains on for one split."""
    train_index = torch.tensor(split.train)
    rows = [(features.pool[train_index], features.pool_labels[train_index])]
    spec_augment = None
    if name in features.extras:
        rows.append(features.extras[name])
    elif name in source:
        method, factor = source[name]
        if method == RETRIEVAL:
            added = retrieved_clips(config, [data.parts.train[i] for i in split.train], factor, cache, data.leak_guard)
        else:
            added = synthetic_clips(config, method, n, seed, factor, data.parts.labels)
            if method in POOL_METHODS:
                from synthio.pipeline import INIT_POOL_FILE

                starts = json.loads((synthetic_config(config, method, n, seed, factor).out / "work" / INIT_POOL_FILE).read_text())
                data.leak_guard.refuse_files("--retrieval-pool", config.retrieval_pool, sorted(set(starts.values())), config.sample_rate)  # type: ignore[arg-type]
        if added:
            rows.append(features.of(added))
    elif name not in data.extras:
        method = get_method(name)
        spec_augment = method.spec_augment
        if method.waveform is not None:
            copies = [
                w
                for i in track(split.train, f"{name} copies (n={n}, seed={seed})")
                for w in augmented_copies(data.parts.train[i].samples, config.sample_rate, method.waveform, config.copies, seed * 100_000 + i)
            ]
            rows.append((featurize(features.featurizer, copies, features.num_samples), features.pool_labels[train_index].repeat_interleave(config.copies, dim=0)))
    return torch.cat([f for f, _ in rows]), torch.cat([y for _, y in rows]), spec_augment


def train_and_test(config: EvaluateConfig, name: str, n: int, seed: int, split: FewShotSplit, rows, data: EvaluationData, features: Features, generated: bool = False) -> dict:
    """Train a fresh classifier on ``rows`` (checkpoint chosen on the split's validation part), test it once; the run's record (without its seconds).

    ``generated``: the rows after the split's real clips were generated (synthetic, retrieved or an
    extra folder), so ``synthetic_schedule: pretrain`` trains on them first, then on the real clips.
    """
    train_features, train_labels, spec_augment = rows
    val_index = torch.tensor(split.val, dtype=torch.long)
    val = (features.pool[val_index], features.pool_labels[val_index])
    torch.manual_seed(seed)
    model = build_classifier(config.classifier, data.parts.labels, config.sample_rate, config.classifier_path)
    train_config = TrainConfig(steps=config.steps, batch_size=config.batch_size, learning_rate=config.learning_rate, eval_every=config.eval_every, seed=seed, device=config.device)
    schedule = {}
    real = len(split.train)
    if generated and config.synthetic_schedule == "pretrain" and len(train_labels) > real:
        model.fit_normalization(train_features)
        first = train_classifier(model, train_features[real:], train_labels[real:], *val, train_config, spec_augment, f"{name} n={n} seed={seed} (generated rows)", fit_normalization=False)
        schedule = {"pretrain_best_step": first.best_step}
        train_features, train_labels = train_features[:real], train_labels[:real]
    result = train_classifier(model, train_features, train_labels, *val, train_config, spec_augment, f"{name} n={n} seed={seed}", fit_normalization=not schedule, start_is_candidate=True if schedule else None)
    logits = predict_logits(model, features.test, device=config.device)
    if features.multi_label:
        metrics = multi_label_metrics(model, features, val_index, logits, config.device) | {"val_map": result.val_map}
    else:
        predictions = logits.argmax(1).numpy()
        metrics = {"accuracy": accuracy(features.test_labels, predictions), "macro_f1": macro_f1(features.test_labels, predictions), "predictions": predictions.tolist()}
    return {
        "method": name,
        "n": n,
        "seed": seed,
        **metrics,
        "epochs": result.epochs,
        "train_clips": len(split.train),
        "train_rows": len(rows[1]),
        "val_clips": len(split.val),
        "val_accuracy": result.val_accuracy,
        "best_step": result.best_step,
        **schedule,
    }


def validation_score(run: dict) -> float:
    """The figure a run's checkpoint was chosen by: validation mAP (multi-label) or accuracy."""
    return run["val_map"] if "val_map" in run else run["val_accuracy"]


def gated(run: dict, real_only: dict) -> dict:
    """``synthetic_gate: validation``: ``run`` if its generated rows beat the real clips alone on validation, else ``real_only``'s results under ``run``'s name (a tie keeps the real clips).

    Either way the record says which (``gate``) and keeps the other side's validation score, so a
    reader can see how close the choice was. Uses only the split's validation part, never the test part.
    """
    keeps = validation_score(run) > validation_score(real_only)
    chosen = run if keeps else {**real_only, "method": run["method"]}
    return {**chosen, "gate": "generated" if keeps else "real-only", "gate_val_generated": validation_score(run), "gate_val_real_only": validation_score(real_only)}


def multi_label_metrics(model, features: Features, val_index: torch.Tensor, test_logits: torch.Tensor, device: str) -> dict:
    """Test mAP, and micro/macro-F1 and subset accuracy (every label right) at the threshold with the best validation micro-F1."""
    val_probabilities = torch.sigmoid(predict_logits(model, features.pool[val_index], device=device)).numpy()
    threshold = choose_threshold(features.pool_labels[val_index].numpy(), val_probabilities)
    probabilities = torch.sigmoid(test_logits).numpy()
    truth, predicted = features.test_labels.astype(bool), probabilities >= threshold
    micro, macro = multi_label_f1(truth, predicted)
    return {"accuracy": float((truth == predicted).all(1).mean()), "macro_f1": macro, "micro_f1": micro, "map": mean_average_precision(truth, probabilities), "threshold": threshold}


def run_evaluation(config: EvaluateConfig) -> dict:
    """The runs in order (n, seed, method), each appended to results.json as it finishes."""
    from synthio.evaluation_report import write_evaluation_report
    from synthio.report import write_summary

    started = time.time()
    results_path = config.out / "results.json"
    fingerprint = config.fingerprint()
    runs = load_results(results_path, fingerprint)
    done = {(r["method"], r["n"], r["seed"]) for r in runs}
    data = load_data(config)
    seconds = config.seconds or auto_seconds(data.parts.train)
    features = compute_features(config, data, seconds)
    methods, source = method_rows(config, data.extras)
    header = {
        "fingerprint": fingerprint,
        "config": config.model_dump(mode="json"),
        "data": {
            "train_pool_clips": len(data.parts.train),
            "test_clips": len(data.parts.test),
            "labels": data.parts.labels,
            "multi_label": data.parts.multi_label,
            "test_labels": features.test_labels.tolist(),
            "seconds": seconds,
            "skipped": [str(p) for p in data.skipped],
        },
    }
    retrieval_cache: dict = {}
    for n in config.n:
        for seed in config.seeds:
            split = few_shot_split([c.target for c in data.parts.train], n, seed, config.val_n, data.groups)
            real_only: dict | None = None
            for name in methods:
                if (name, n, seed) in done:
                    continue
                run_started = time.time()
                rows = training_rows(config, name, n, seed, split, data, features, source, retrieval_cache)
                generated = name in source or name in features.extras
                run = train_and_test(config, name, n, seed, split, rows, data, features, generated=generated)
                if generated and config.synthetic_gate == "validation":
                    real_only = real_only or next((r for r in runs if (r["method"], r["n"], r["seed"]) == ("gold", n, seed)), None)
                    real_only = real_only or train_and_test(config, "gold", n, seed, split, training_rows(config, "gold", n, seed, split, data, features, source, retrieval_cache), data, features)
                    run = gated(run, real_only)
                run["seconds"] = round(time.time() - run_started, 2)
                runs.append(run)
                shown = f"mAP {run['map']:.3f}  micro-F1 {run['micro_f1']:.3f}  " if "map" in run else ""
                gate = f"  [gate: {run['gate']}]" if "gate" in run else ""
                console.print(f"{name:>16} n={n:<4} seed={seed}  {shown}acc {run['accuracy']:.3f}  macro-F1 {run['macro_f1']:.3f}  ({run['seconds']:.0f} s){gate}")
                write_text_atomic(results_path, json.dumps({**header, "runs": runs}, indent=2))
    results = {**header, "runs": runs, "wall_seconds": round(time.time() - started, 1)}
    write_text_atomic(results_path, json.dumps(results, indent=2))
    write_summary(results, config.out)
    page = write_evaluation_report(results, config.out)
    console.print(f"report: {page}")
    return results
