"""Measure a tiny T2A the way its model card reports it: as training data, as sound, and in speed.

Parts of the data (``--pretrain-where``, ``--pool-where``, ``--test-where``; urbansound8k's folds by
default, for fsdd e.g. ``speaker=george,jackson,lucas,nicolas`` / ``speaker=theo`` /
``speaker=yweweler``):

1. A judge: a classifier (``--judge``, default the linear probe on the tiny-CLAP audio tower)
   trained on the pretraining part, a tenth of the recordings (grouped by ``--group``, else by
   file) held out for checkpoint selection; its test accuracy is printed next to the figures.
2. For each class, ``--per-class`` K clips from "Sound of a {label}" (seeds 0..K-1, 4 s): the share
   the judge assigns to the prompt's class (easy to win with prototypical, low-diversity clips, so
   never the target on its own).
3. Usefulness as training data, the headline: the embedded CNN trained on the K x C generated clips
   alone and tested on the real test part (train-on-synthetic), against the same CNN trained on K
   real clips per class of the pretraining part (train-on-real), 300 steps, seeds 0-2; the ratio of
   the two mean accuracies.
4. Frechet distance and KAD in tiny-CLAP audio-embedding space: generated vs the test part, and the
   pool vs the test part (the floor: real clips of another part).
5. Diversity: Vendi score of each class's clips in tiny-CLAP space (mean over classes), generated
   and real (the test part).
6. Wall seconds per generated 4-s clip (batches of K, all threads of this machine).
7. As augmentation: the same CNN trained on the K real clips per class *and* the generated ones.

``--init-strengths`` measures variations (SDEdit) too: at a strength s < 1 each generated clip
starts from one of the train-on-real clips (padded to 4 s), noised to s, so train-on-synthetic
then asks how much of a real clip's worth survives in its variation (s -> 0 copies the clip).

Usage: python scripts/measure_tiny_t2a.py ../shared/data/urbansound8k [--model DIR] [--vocoder DIR|griffin-lim] [--settings 16:3,25:3,8:5:dpmpp-2m] [--init-strengths 1,0.5] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from synthio.audio import fit_duration
from synthio.backends import load_vocoder, vocoder_folder
from synthio.clap.base import template_prompt
from synthio.clap.tiny import TinyClap
from synthio.dataset import load_parts, load_selection, parse_where
from synthio.evaluation import featurize
from synthio.quality import set_distances, vendi_score
from synthio.t2a.tiny import TinyT2A
from synthio.train.classifiers import build_classifier
from synthio.train.trainer import TrainConfig, predict_logits, train_classifier
from synthio.weights import shipped

SAMPLE_RATE, SECONDS = 16000, 4.0


def held_out(clips, group: str | None) -> np.ndarray:
    """A tenth of the recordings (by ``group``, else by file), chosen by hash: the same clips on every run."""
    keys = [c.meta[group] if group else c.file_name for c in clips]
    return np.array([int(hashlib.sha1(str(key).encode()).hexdigest(), 16) % 10 == 0 for key in keys])


def train_judge(parts, name: str, steps: int, group: str | None):
    """A classifier trained on the pretraining part (a tenth of the recordings held out for checkpoints); ``(judge, test accuracy)``."""
    index = {label: i for i, label in enumerate(parts.labels)}
    num_samples = int(SECONDS * SAMPLE_RATE)
    held = held_out(parts.train, group)
    torch.manual_seed(0)
    judge = build_classifier(name, parts.labels, SAMPLE_RATE)
    features = featurize(judge, [c.samples for c in parts.train], num_samples, description="judge features")
    y = torch.tensor([index[c.label] for c in parts.train])
    train_classifier(judge, features[~held], y[~held], features[held], y[held], TrainConfig(steps=steps, seed=0), description="judge")
    test_features = featurize(judge, [c.samples for c in parts.test], num_samples, description="test features")
    accuracy = float((predict_logits(judge, test_features).argmax(1).numpy() == np.array([index[c.label] for c in parts.test])).mean())
    print(f"judge ({name} on the pretraining part): test accuracy {accuracy:.3f}", flush=True)
    return judge, accuracy


def cnn_accuracy(waves: list[np.ndarray], targets: list[int], test_waves: list[np.ndarray], test_targets: np.ndarray, labels: list[str], seeds: tuple[int, ...] = (0, 1, 2)) -> list[float]:
    """Test accuracy of the embedded CNN trained on ``waves`` alone (300 steps, no validation), one per seed."""
    num_samples = int(SECONDS * SAMPLE_RATE)
    probe = build_classifier("cnn", labels, SAMPLE_RATE)
    features, test_features = featurize(probe, waves, num_samples), featurize(probe, test_waves, num_samples)
    accuracies = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = build_classifier("cnn", labels, SAMPLE_RATE)
        train_classifier(model, features, torch.tensor(targets), None, None, TrainConfig(steps=300, seed=seed), description=f"cnn seed {seed}")
        accuracies.append(float((predict_logits(model, test_features).argmax(1).numpy() == test_targets).mean()))
    return accuracies


def per_class_vendi(embeddings: np.ndarray, targets: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Vendi score of each class's rows (classes with fewer than two rows left out)."""
    return {label: vendi_score(embeddings[targets == k]) for k, label in enumerate(labels) if (targets == k).sum() >= 2}


def measure_generated(steps, guidance, strength, waves, truth, seconds, judge, clap, test_embeddings, test_waves, test_targets, real, train_on_real, labels, augmentation: bool = True) -> dict:
    """One row of figures for the clips generated with ``steps`` sampler steps at ``guidance`` and ``strength``; ``truth`` holds class indices (``augmentation=False`` skips real + generated)."""
    index = {label: i for i, label in enumerate(labels)}
    predicted = predict_logits(judge, featurize(judge, waves, int(SECONDS * SAMPLE_RATE))).argmax(1).numpy()
    per_class = {label: float((predicted[truth == k] == k).mean()) for k, label in enumerate(labels)}
    embeddings = clap.embed_audio(waves, SAMPLE_RATE).numpy()
    train_on_synthetic = cnn_accuracy(waves, truth.tolist(), test_waves, test_targets, labels)
    train_on_both = cnn_accuracy([c.samples for c in real] + waves, [index[c.label] for c in real] + truth.tolist(), test_waves, test_targets, labels) if augmentation else None
    vendi = per_class_vendi(embeddings, truth, labels)
    return {
        "steps": steps, "guidance": guidance, "init_strength": strength,
        "train_on_synthetic": train_on_synthetic, "tstr_over_trtr": float(np.mean(train_on_synthetic) / np.mean(train_on_real)),
        "train_on_real_and_synthetic": train_on_both, "recognised_mean": float(np.mean(list(per_class.values()))), "per_class": per_class,
        **{f"{k}_vs_test": v for k, v in set_distances(embeddings, test_embeddings).items() if k in ("fd", "kad")},
        "vendi_per_class": vendi, "vendi_mean": float(np.mean(list(vendi.values()))), "seconds_per_clip": seconds / len(waves), "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="TinyT2A folder (default: the shipped weights)")
    parser.add_argument("--vocoder", default=None, help="vocoder folder from `synthio pretrain vocoder`, or griffin-lim (default: as the T2A backend resolves it, the shipped vocoder if this build has one)")
    parser.add_argument("--settings", default="16:3", help="comma-separated STEPS:GUIDANCE pairs to measure (STEPS:GUIDANCE:SAMPLER for another sampler than --sampler)")
    parser.add_argument("--sampler", default="ddim", help="the T2A's sampler: ddim, dpmpp-2m or unipc")
    parser.add_argument("--no-augmentation", action="store_true", help="skip item 7 (real + generated), the slowest figure")
    parser.add_argument("--init-strengths", default="1", help="comma-separated init strengths in (0, 1]: below 1, variations of the train-on-real clips")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--pretrain-where", default="fold=1,2", help="the part the T2A (and the judge) learned from")
    parser.add_argument("--pool-where", default="fold=3", help="real clips of another part: the floor of FD and KAD")
    parser.add_argument("--test-where", default="fold=10")
    parser.add_argument("--group", default="freesound_id", help="metadata column of the recording (judge's held-out clips); 'none' holds out files")
    parser.add_argument("--judge", default="clap-probe", help="classifier trained on the pretraining part: clap-probe or cnn")
    parser.add_argument("--judge-steps", type=int, default=600)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    group = None if args.group == "none" else args.group

    parts = load_parts(args.data, parse_where([args.pretrain_where]), parse_where([args.test_where]), SAMPLE_RATE)
    judge, judge_accuracy = train_judge(parts, args.judge, args.judge_steps, group)
    pool, _ = load_selection(args.data, parse_where([args.pool_where]), SAMPLE_RATE)
    labels = parts.labels
    index = {label: i for i, label in enumerate(labels)}
    test_waves, test_targets = [c.samples for c in parts.test], np.array([index[c.label] for c in parts.test])

    clap = TinyClap.load(shipped("tiny_clap_v1"))  # the embedding space of the FDs and zero-shot figures in docs/results.md §2
    test_embeddings = clap.embed_audio(test_waves, SAMPLE_RATE).numpy()
    floor = set_distances(clap.embed_audio([c.samples for c in pool], SAMPLE_RATE).numpy(), test_embeddings)
    print(f"floor ({args.pool_where} vs {args.test_where}): FD {floor['fd']:.3f}, KAD {floor['kad']:.4f}", flush=True)
    rng = np.random.default_rng(0)
    real = []
    for label in labels:
        candidates = [c for c in parts.train if c.label == label]
        real += [candidates[i] for i in rng.permutation(len(candidates))[: args.per_class]]
    train_on_real = cnn_accuracy([c.samples for c in real], [index[c.label] for c in real], test_waves, test_targets, labels)
    print(f"train-on-real ({args.per_class} per class): {np.mean(train_on_real):.3f} {train_on_real}", flush=True)
    report = {
        "data": str(args.data), "parts": {"pretrain": args.pretrain_where, "pool": args.pool_where, "test": args.test_where}, "per_class": args.per_class,
        "judge": args.judge, "judge_test_accuracy": judge_accuracy, "floor_pool_vs_test": floor, "train_on_real": train_on_real,
        "vendi_real_test": float(np.mean(list(per_class_vendi(test_embeddings, test_targets, labels).values()))), "settings": [],
    }

    model_folder = args.model or shipped("tiny_t2a")
    t2a = TinyT2A.load(model_folder)
    t2a.set_vocoder(load_vocoder(args.vocoder))
    report["model"], report["vocoder"] = str(model_folder), str(vocoder_folder(args.vocoder) or "griffin-lim")
    num_samples = int(SECONDS * SAMPLE_RATE)
    for setting in args.settings.split(","):
        steps, guidance, sampler = (setting.split(":") + [args.sampler])[:3]
        steps, guidance = int(steps), float(guidance)
        t2a.set_sampler(sampler)
        for strength in [float(s) for s in args.init_strengths.split(",")]:
            waves, truth, seconds = [], [], 0.0
            for k, label in enumerate(labels):
                init = [fit_duration(c.samples, num_samples) for c in real if c.label == label] if strength < 1 else None
                count = len(init) if init else args.per_class
                started = time.time()
                waves += t2a.sample([template_prompt(label)] * count, [SECONDS] * count, steps, guidance, list(range(count)), init_audio=init, init_strength=strength)
                seconds += time.time() - started
                truth += [k] * count
            row = measure_generated(steps, guidance, strength, waves, np.array(truth), seconds, judge, clap, test_embeddings, test_waves, test_targets, real, train_on_real, labels, not args.no_augmentation)
            report["settings"].append({"sampler": sampler, **row})
            print(json.dumps(report["settings"][-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
