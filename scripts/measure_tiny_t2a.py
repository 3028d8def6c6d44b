"""Measure a tiny T2A the way its model card reports it (issue: embedded models, item 8).

1. A judge: a classifier (``--judge``, default the linear probe on the tiny-CLAP audio tower)
   trained on urbansound8k folds 1-2, a tenth of the recordings (grouped by freesound_id) held out
   for checkpoint selection; its fold-10 accuracy is printed next to the figures.
2. For each class, ``--per-class`` clips from "Sound of a {label}" (seeds 0..K-1, 4 s): the share
   the judge assigns to the prompt's class.
3. Frechet distance in tiny-CLAP audio-embedding space: generated vs fold 10, and fold 3 vs fold 10
   (the floor: real clips of another fold).
4. Wall seconds per generated 4-s clip (batches of ``--per-class``, all threads of this machine).

Usage: python scripts/measure_tiny_t2a.py ../shared/data/urbansound8k [--model DIR] [--settings 16:3,25:3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from synthio.clap.base import template_prompt
from synthio.clap.frechet import frechet_distance
from synthio.clap.tiny import TinyClap
from synthio.dataset import load_parts, load_selection, parse_where
from synthio.evaluation import featurize
from synthio.t2a.tiny import TinyT2A
from synthio.train.classifiers import build_classifier
from synthio.train.trainer import TrainConfig, predict_logits, train_classifier
from synthio.weights import shipped

SAMPLE_RATE, SECONDS = 16000, 4.0


def train_judge(data: Path, name: str, steps: int):
    """A classifier trained on urbansound8k folds 1-2 (a tenth of the recordings held out for checkpoints); ``(judge, parts, fold-10 accuracy)``."""
    parts = load_parts(data, parse_where(["fold=1,2"]), parse_where(["fold=10"]), SAMPLE_RATE)
    index = {label: i for i, label in enumerate(parts.labels)}
    num_samples = int(SECONDS * SAMPLE_RATE)
    held = np.array([int(hashlib.sha1(c.meta["freesound_id"].encode()).hexdigest(), 16) % 10 == 0 for c in parts.train])
    torch.manual_seed(0)
    judge = build_classifier(name, parts.labels, SAMPLE_RATE)
    features = featurize(judge, [c.samples for c in parts.train], num_samples, description="judge features")
    y = torch.tensor([index[c.label] for c in parts.train])
    train_classifier(judge, features[~held], y[~held], features[held], y[held], TrainConfig(steps=steps, seed=0), description="judge")
    test_features = featurize(judge, [c.samples for c in parts.test], num_samples, description="fold-10 features")
    accuracy = float((predict_logits(judge, test_features).argmax(1).numpy() == np.array([index[c.label] for c in parts.test])).mean())
    print(f"judge ({name} on folds 1-2): fold-10 accuracy {accuracy:.3f}", flush=True)
    return judge, parts, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="TinyT2A folder (default: the shipped weights)")
    parser.add_argument("--settings", default="16:3", help="comma-separated DDIM_STEPS:GUIDANCE pairs to measure")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--judge", default="clap-probe", help="classifier trained on folds 1-2: clap-probe or cnn")
    parser.add_argument("--judge-steps", type=int, default=600)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    judge, parts, judge_accuracy = train_judge(args.data, args.judge, args.judge_steps)
    fold3, _ = load_selection(args.data, parse_where(["fold=3"]), SAMPLE_RATE)
    labels, num_samples = parts.labels, int(SECONDS * SAMPLE_RATE)
    index = {label: i for i, label in enumerate(labels)}

    clap = TinyClap.load(shipped("tiny_clap"))
    fold10_embeddings = clap.embed_audio([c.samples for c in parts.test], SAMPLE_RATE).numpy()
    floor = frechet_distance(clap.embed_audio([c.samples for c in fold3], SAMPLE_RATE).numpy(), fold10_embeddings)
    print(f"FD floor (fold 3 vs fold 10): {floor:.2f}", flush=True)

    t2a = TinyT2A.load(args.model or shipped("tiny_t2a"))
    report = {"judge": args.judge, "judge_fold10_accuracy": judge_accuracy, "fd_floor_fold3_vs_fold10": floor, "settings": []}
    for setting in args.settings.split(","):
        steps, guidance = int(setting.split(":")[0]), float(setting.split(":")[1])
        waves, truth, seconds = [], [], 0.0
        for label in labels:
            started = time.time()
            waves += t2a.sample([template_prompt(label)] * args.per_class, [SECONDS] * args.per_class, steps, guidance, list(range(args.per_class)))
            seconds += time.time() - started
            truth += [index[label]] * args.per_class
        predicted = predict_logits(judge, featurize(judge, waves, num_samples)).argmax(1).numpy()
        truth = np.array(truth)
        per_class = {label: float((predicted[truth == k] == k).mean()) for k, label in enumerate(labels)}
        fd = frechet_distance(clap.embed_audio(waves, SAMPLE_RATE).numpy(), fold10_embeddings)
        row = {"steps": steps, "guidance": guidance, "recognised_mean": float(np.mean(list(per_class.values()))), "per_class": per_class, "fd_vs_fold10": fd, "seconds_per_clip": seconds / len(waves), "threads": torch.get_num_threads()}
        report["settings"].append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
