"""The verdict that ends ``synthio augment``: did the kept synthetic clips help a classifier on real clips it never saw?

Why: synthetic data can hurt (on recordings unlike the generator's training data it has cost
several points against the real clips alone), and a user should know before training on it. The
evaluation's classifier (the embedded CNN, a fixed step budget) is trained on the few-shot clips
with and without the kept synthetic clips, for several seeds, and both are tested on the same
held-out real clips; the paired difference gets the bootstrap interval of ``synthio.stats``.

Held-out clips: the pool's clips outside the few-shot split (the ones ``synthio evaluate`` carves
its validation part from; never a test part — augment does not know one), and with ``groups``
(e.g. the source recording of urbansound8k's slices) none from a recording a few-shot clip was cut
from: a slice of the same recording is a near-copy and makes the estimate optimistic. Pitfall: when the pool
holds nothing beyond the few-shot clips, each seed holds out a stratified fifth of the few-shot
clips instead and drops the synthetic clips made from them; the aligned model and the caption
pools still saw those clips, so that estimate leans optimistic, and the result says so.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from synthio.audio import resample
from synthio.dataset import Clip, is_multi_label_clips
from synthio.progress import say
from synthio.split import stratified_sample
from synthio.stats import paired_bootstrap

CLASSIFIER_SAMPLE_RATE = 16000
MAX_HELD_OUT = 400
CROSS_VALIDATION_SHARE = 0.2


def held_out_parts(labels: list[str], few_shot: list[int], seed: int, groups: list[str] | None = None) -> tuple[list[int], list[int], str]:
    """``(train, held_out, mode)`` indices into the pool.

    Mode ``pool``: the pool beyond the few-shot split (at most ``MAX_HELD_OUT``, stratified; with
    ``groups``, none sharing a group with a few-shot clip). Mode ``cross-validation``, when that is
    empty: a stratified fifth of the few-shot clips.
    """
    taken = set(few_shot) | ({i for i, g in enumerate(groups) if g in {groups[j] for j in few_shot}} if groups is not None else set())
    rest = sorted(set(range(len(labels))) - taken)
    if rest:
        rng = np.random.default_rng(0)
        chosen = rest if len(rest) <= MAX_HELD_OUT else [rest[i] for i in stratified_sample([labels[i] for i in rest], MAX_HELD_OUT, rng)]
        return list(few_shot), chosen, "pool"
    rng = np.random.default_rng(seed)
    held = []
    for label in sorted({labels[i] for i in few_shot}):
        members = [i for i in few_shot if labels[i] == label]
        if len(members) >= 2:
            held += rng.choice(members, size=max(1, int(round(CROSS_VALIDATION_SHARE * len(members)))), replace=False).tolist()
    held = sorted(held)
    return [i for i in few_shot if i not in set(held)], held, "cross-validation"


def synthetic_verdict(pool: list[Clip], few_shot: list[int], synthetic: list[Clip], seeds: list[int], steps: int = 300, batch_size: int = 32, device: str = "auto", groups: list[str] | None = None) -> dict:
    """Train with and without ``synthetic`` (clips whose ``meta["parent_file"]`` names their real clip) per seed; the paired accuracy difference on held-out real clips, in points, with its interval and an outcome.

    In ``pool`` mode every seed tests on the same held-out clips and trains on the same clips, so the seeds vary the classifier's initialisation and batch order only.
    """
    from synthio.evaluation import auto_seconds, featurize
    from synthio.train.classifiers import build_classifier
    from synthio.train.trainer import TrainConfig, predict_logits, train_classifier

    started = time.time()
    if is_multi_label_clips(pool):
        return {"outcome": "skipped", "message": "no verdict for multi-label data yet: run synthio evaluate on a held-out part", "seconds": 0.0}
    labels = [c.label for c in pool]
    parts = {seed: held_out_parts(labels, few_shot, seed, groups) for seed in seeds}
    if not all(held for _, held, _ in parts.values()):
        return {"outcome": "skipped", "message": "no held-out real clips: every class has a single few-shot clip and the pool holds nothing more beyond the clips' recordings", "seconds": round(time.time() - started, 1)}
    mode = next(iter(parts.values()))[2]
    needed = sorted(set(few_shot).union(*(held for _, held, _ in parts.values())))
    position = {i: k for k, i in enumerate(needed)}
    names = sorted(set(labels))
    index = {label: i for i, label in enumerate(names)}
    featurizer = build_classifier("cnn", names, CLASSIFIER_SAMPLE_RATE)
    num_samples = int(round(auto_seconds([pool[i] for i in needed]) * CLASSIFIER_SAMPLE_RATE))
    real_features = featurize(featurizer, [resample(pool[i].samples, pool[i].sample_rate, CLASSIFIER_SAMPLE_RATE) for i in needed], num_samples, description="verdict: features of the real clips")
    real_labels = torch.tensor([index[labels[i]] for i in needed])
    synthetic_features = featurize(featurizer, [resample(c.samples, c.sample_rate, CLASSIFIER_SAMPLE_RATE) for c in synthetic], num_samples, description="verdict: features of the kept clips") if synthetic else None
    synthetic_labels = torch.tensor([index[c.label] for c in synthetic])
    parents = [c.meta.get("parent_file") for c in synthetic]
    without, with_synthetic, per_seed = [], [], []
    for seed in seeds:
        train, held, _ = parts[seed]
        train_rows, held_rows = [position[i] for i in train], [position[i] for i in held]
        held_files = {pool[i].file_name for i in held}
        kept = [j for j, parent in enumerate(parents) if parent not in held_files]
        truth = real_labels[held_rows].numpy()
        correct = []
        for use_synthetic in (False, True):
            features, targets = real_features[train_rows], real_labels[train_rows]
            if use_synthetic and kept:
                features, targets = torch.cat([features, synthetic_features[kept]]), torch.cat([targets, synthetic_labels[kept]])
            torch.manual_seed(seed)
            model = build_classifier("cnn", names, CLASSIFIER_SAMPLE_RATE)
            train_classifier(model, features, targets, None, None, TrainConfig(steps=steps, batch_size=batch_size, seed=seed, device=device), description=f"verdict seed {seed}: {'real + synthetic' if use_synthetic else 'real only'}")
            correct.append(predict_logits(model, real_features[held_rows], device=device).argmax(1).numpy() == truth)
        without.append(correct[0])
        with_synthetic.append(correct[1])
        per_seed.append({"seed": seed, "real_only": float(correct[0].mean()), "with_synthetic": float(correct[1].mean()), "synthetic_rows": len(kept), "held_out_clips": len(held)})
    held_out_clips = len(parts[seeds[0]][1])
    interval = paired_bootstrap(with_synthetic, without, shared_clips=mode == "pool").scaled(100.0)
    outcome = "helped" if interval.low > 0 else "hurt" if interval.high < 0 else "no clear effect"
    where = f"{held_out_clips} held-out real clips of the pool" if mode == "pool" else f"{held_out_clips} few-shot clips held out per seed (the aligned model saw them: optimistic)"
    summary = f"{interval.estimate:+.1f} points [{interval.low:+.1f}, {interval.high:+.1f}] over {len(seeds)} seed(s) on {where}"
    messages = {
        "helped": f"the kept synthetic clips helped: {summary}",
        "hurt": f"the kept synthetic clips HURT: {summary}; train on the real clips alone, or change the generator, its alignment or the filter",
        "no clear effect": f"no clear effect of the kept synthetic clips: {summary} (the interval includes 0)",
    }
    return {
        "outcome": outcome, "message": messages[outcome], "difference_points": interval.estimate, "interval_points": [interval.low, interval.high],
        "mode": mode, "held_out_clips": held_out_clips, "seeds": list(seeds), "steps": steps, "classifier": "cnn", "runs": per_seed,
        "seconds": round(time.time() - started, 1),
    }


def announce(verdict: dict) -> None:
    """Print the verdict: a plain warning when the synthetic set hurt (or leans that way)."""
    if verdict["outcome"] == "hurt":
        say("WARNING:", verdict["message"], style="bold red")
    elif verdict["outcome"] == "no clear effect" and verdict["difference_points"] < 0:
        say("warning:", verdict["message"], style="yellow")
    else:
        say("verdict:", verdict["message"])


def synthetic_clips_of(out: Path, state: dict[str, dict], sample_rate: int) -> list[Clip]:
    """The kept clips of an augment run's event log, decoded at ``sample_rate``, each with its parent file in ``meta``."""
    from synthio.audio import read_audio

    return [
        Clip(file_name=row["file"], label=row["label"], samples=read_audio(out / "work" / row["file"], sample_rate), sample_rate=sample_rate, meta={"parent_file": row["parent_file"]})
        for row in state.values()
        if row.get("kept")
    ]
