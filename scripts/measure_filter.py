"""Grade the CLAP filter's rules with a judge that is not the filtering CLAP.

For one `synthio augment` output made with `filter: false` (every clip scored, none dropped):

1. A judge (`--judge`, default the CNN: never the tiny CLAP that filters) trained on the
   pretraining part (`--pretrain-where`, default urbansound8k folds 1-2; its accuracy on
   `--test-where` is reported) labels every generated clip; a clip is "wrong-label" when the judge
   disagrees with the label it was generated for.
2. Each rule's threshold is calibrated on the run's real few-shot clips exactly as `augment`
   does (`--percentile`, default the pipeline's 10): `score` (the release's CLAP score), `margin`
   (cosine to the own label's text minus the best other label's), `rank` (margin >= 0, no
   calibration) and `class-margin` (the margin with one threshold per label, each calibrated on
   that label's few-shot clips; the table shows their median); `prototype` and `prototype-rank` the same with the labels' mean real-clip audio
   embeddings in place of their texts (calibrated leave-one-out).
3. Per rule: the share of generated clips kept, the wrong-label share among generated vs kept
   clips, the share of wrong-label clips rejected and of right-label clips kept (a rule that
   rejects both alike only thins the data), and the share of real held-out clips (the
   run's pool minus its few-shot clips: never a test part) that the rule keeps.

Usage: python scripts/measure_filter.py ../shared/data/urbansound8k runs/filter_us8k_s0 [--out runs/filter_us8k_s0/filter_measure.json]
       python scripts/measure_filter.py ../shared/data/fsdd runs/filter_fsdd_s0 --pretrain-where speaker=george,jackson,lucas,nicolas --test-where speaker=yweweler --group none
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from measure_tiny_t2a import SAMPLE_RATE, SECONDS, train_judge

from synthio.audio import read_audio
from synthio.backends import load_clap
from synthio.clap.base import template_prompt
from synthio.dataset import load_parts, load_selection, parse_where
from synthio.evaluation import featurize
from synthio.filter import LabelMatch, auto_threshold, prototype_match
from synthio.pipeline import AugmentConfig
from synthio.split import few_shot_split
from synthio.train.trainer import predict_logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("run", type=Path, help="a `synthio augment` output made with filter: false")
    parser.add_argument("--judge", default="cnn", help="classifier trained on the pretraining part: cnn or clap-probe (the latter shares the filter's tower)")
    parser.add_argument("--pretrain-where", default="fold=1,2", help="the judge's training part (never the run's pool or a test part)")
    parser.add_argument("--test-where", default="fold=10", help="the part the judge's own accuracy is reported on")
    parser.add_argument("--group", default="freesound_id", help="metadata column of the recording (judge's held-out clips); 'none' holds out files")
    parser.add_argument("--judge-steps", type=int, default=600)
    parser.add_argument("--percentile", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--clap", type=Path, default=None, help="a tiny-CLAP model folder to filter with instead of the run's CLAP (the clips and the judge stay the same)")
    args = parser.parse_args()

    config = AugmentConfig.model_validate(json.loads((args.run / "run.json").read_text())["config"])
    pool, _ = load_selection(config.data_dir, parse_where(config.where), SAMPLE_RATE)
    split = few_shot_split([c.label for c in pool], config.n, config.seed)
    few_shot, held_out = [pool[i] for i in split.train], [c for i, c in enumerate(pool) if i not in set(split.train)]
    manifest = [json.loads(line) for line in (args.run / "manifest.jsonl").read_text().splitlines()]
    labels = sorted({c.label for c in few_shot})
    index = {label: i for i, label in enumerate(labels)}

    parts = load_parts(args.data, parse_where([args.pretrain_where]), parse_where([args.test_where]), SAMPLE_RATE)
    judge, judge_accuracy = train_judge(parts, args.judge, args.judge_steps, None if args.group == "none" else args.group)
    if parts.labels != labels:
        raise SystemExit(f"the judge's labels {parts.labels} differ from the run's {labels}")
    generated = [read_audio(args.run / "work" / row["file"], SAMPLE_RATE) for row in manifest]
    intended = np.array([index[row["label"]] for row in manifest])
    judged = predict_logits(judge, featurize(judge, generated, int(SECONDS * SAMPLE_RATE))).argmax(1).numpy()
    wrong = judged != intended

    clap = load_clap(config.clap if args.clap is None else config.clap.model_copy(update={"backend": "embedded", "path": args.clap}))
    audio = {"few_shot": clap.embed_audio([c.samples for c in few_shot], SAMPLE_RATE), "held_out": clap.embed_audio([c.samples for c in held_out], SAMPLE_RATE)}
    audio["generated"] = clap.embed_audio(generated, SAMPLE_RATE)
    text = clap.embed_text([template_prompt(label) for label in labels])
    own = {"few_shot": [index[c.label] for c in few_shot], "held_out": [index[c.label] for c in held_out], "generated": intended.tolist()}
    text_matches = {name: LabelMatch.of_embeddings(embeddings, text, clap.log_logit_scale(), clap.logit_bias()) for name, embeddings in audio.items()}
    prototype_matches = {name: prototype_match(embeddings, audio["few_shot"], own["few_shot"], len(labels), leave_one_out=name == "few_shot") for name, embeddings in audio.items()}
    report = {"run": str(args.run), "clap": clap.name, "judge": args.judge, "judge_test_accuracy": judge_accuracy, "judge_parts": {"pretrain": args.pretrain_where, "test": args.test_where}}
    report |= {"generated": len(manifest), "wrong_label_generated": float(wrong.mean()), "held_out_real": len(held_out), "rules": {}}
    rules = [("score", text_matches, "score", None), ("margin", text_matches, "margin", None), ("rank", text_matches, "margin", 0.0), ("class-margin", text_matches, "margin", "per-class")]
    rules += [("prototype", prototype_matches, "margin", None), ("prototype-rank", prototype_matches, "margin", 0.0)]
    for rule, matches, value_rule, fixed in rules:
        calibration = matches["few_shot"].values(own["few_shot"], value_rule).numpy()
        if fixed == "per-class":
            per_label = np.array([auto_threshold(calibration[np.array(own["few_shot"]) == k], args.percentile) for k in range(len(labels))])
            threshold, thresholds = float(np.median(per_label)), {name: per_label[np.array(own[name])] for name in own}
        else:
            threshold = fixed if fixed is not None else auto_threshold(calibration[~np.isnan(calibration)], args.percentile)
            thresholds = {name: threshold for name in own}
        kept = matches["generated"].values(own["generated"], value_rule).numpy() >= thresholds["generated"]
        real_kept = matches["held_out"].values(own["held_out"], value_rule).numpy() >= thresholds["held_out"]
        report["rules"][rule] = {
            "threshold": threshold,
            "generated_kept": float(kept.mean()),
            "wrong_label_among_kept": float(wrong[kept].mean()) if kept.any() else None,
            "wrong_label_rejected": float((~kept[wrong]).mean()) if wrong.any() else None,
            "right_label_kept": float(kept[~wrong].mean()) if (~wrong).any() else None,
            "held_out_real_kept": float(real_kept.mean()),
        }
    print(json.dumps(report, indent=2))
    print(f"\n| rule | threshold | generated kept | wrong-label among kept (generated: {wrong.mean():.1%}) | wrong-label clips rejected | right-label clips kept | real held-out kept |")
    print("|---|---|---|---|---|---|---|")
    for rule, row in report["rules"].items():
        print(f"| {rule} | {row['threshold']:.4g} | {row['generated_kept']:.1%} | {row['wrong_label_among_kept']:.1%} | {row['wrong_label_rejected']:.1%} | {row['right_label_kept']:.1%} | {row['held_out_real_kept']:.1%} |")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
