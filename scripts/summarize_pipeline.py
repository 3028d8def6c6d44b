"""Print the markdown tables of docs/results.md §4 from one or more ``synthio evaluate`` folders.

Usage: python scripts/summarize_pipeline.py runs/us8k_syn runs/us8k_syn100 runs/us8k_syn200 [--versus retrieval]

Per n: accuracy mean ± std over seeds and per seed, margin to gold and to the best classic
baseline (best mean among noise, pitch, specaug, audiomentations), and the mean paired difference
to ``synthio`` (or the ``--versus`` method) over the seeds both ran (the fair comparison when a method has fewer seeds) with the
evaluation summary's paired bootstrap interval over seeds and test clips. Then, for each ``synthio augment``
run under ``FOLDER/synthetic``, its stage timings and filter counts from ``run.json``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from synthio.report import aggregate, interval_cell, paired_difference

CLASSIC = ("noise", "pitch", "specaug", "audiomentations")
ORDER = ("gold", *CLASSIC, "retrieval", "vanilla-syn", "llm-caps", "no-dpo", "erm", "no-mixcap", "no-reflection", "template-captions", "synthio-variations", "retrieval-variations", "synthio")


def accuracy_tables(folders: list[Path], against: str = "synthio") -> None:
    runs, by = [], defaultdict(dict)
    results = [json.loads((folder / "results.json").read_text()) for folder in folders]
    test_labels = results[0]["data"].get("test_labels")
    if any(r["data"].get("test_labels") != test_labels for r in results):
        raise ValueError("the folders were tested on different clips; summarize one benchmark at a time")
    for run in (run for r in results for run in r["runs"]):
        key, value = (run["n"], run["method"]), 100.0 * run["accuracy"]
        if run["seed"] in by[key]:
            if by[key][run["seed"]] != value:
                raise ValueError(f"{key} seed {run['seed']} has different results in two folders")
            continue
        by[key][run["seed"]] = value
        runs.append(run)
    table = aggregate(runs, "accuracy")
    for n in sorted({run["n"] for run in runs}):
        present = {run["method"] for run in runs if run["n"] == n}
        methods = [m for m in ORDER if m in present] + sorted(present - set(ORDER))
        means = {m: table[m][n][0] for m in methods}
        seeds = sorted({s for m in methods for s in by[n, m]})
        classic = [m for m in CLASSIC if m in means]
        best_classic = max(classic, key=means.get) if classic else None
        print(f"\n### n = {n}\n")
        print(f"| method | accuracy % (mean ± std) | vs gold | vs best classic | vs {against}, same seeds | " + " | ".join(f"seed {s}" for s in seeds) + " |")
        print("|---|---|---|---|---|" + "---|" * len(seeds))
        for m in methods:
            _, std, count = table[m][n]
            spread = f" ± {std:.2f}" if count > 1 else ""
            gold = f"{means[m] - means['gold']:+.2f}" if "gold" in means and m != "gold" else ""
            versus = f"{means[m] - means[best_classic]:+.2f}" if best_classic and m not in CLASSIC and m != "gold" else ""
            shared = sorted(set(by[n, m]) & set(by.get((n, against), {}))) if m != against else []
            paired = f"{interval_cell(paired_difference(runs, m, against, n, test_labels), True)} ({len(shared)})" if shared else ""
            cells = [f"{by[n, m][s]:.1f}" if s in by[n, m] else "–" for s in seeds]
            print(f"| {m} | {means[m]:.2f}{spread} ({count}) | {gold} | {versus} | {paired} | " + " | ".join(cells) + " |")
        if best_classic:
            print(f"\nbest classic baseline at n = {n}: {best_classic} ({means[best_classic]:.2f})")


def stage_table(folders: list[Path]) -> None:
    print("\n| augment run | clips real | generated | kept | rejected round 0 | captions repaired | LLM failures | align s | captions s | generate s | filter + reflection rounds s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in folders:
        for path in sorted((folder / "synthetic").glob("*/run.json")):
            r = json.loads(path.read_text())
            s = r["stage_seconds"]
            failures = sum(r["llm_failures"].values()) if "llm_failures" in r else "–"
            rest = sum(v for k, v in s.items() if k.startswith(("filter", "reflect", "generate_")))
            print(
                f"| {path.parent.name} | {r['clips_real']} | {r['generated']} | {r['kept']} | {r['rounds']['0']['rejected']} | {r.get('captions_repaired', 0)} | {failures} | "
                f"{s.get('align', 0):.0f} | {s.get('captions', 0):.0f} | {s.get('generate', 0):.0f} | {rest:.0f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="synthio evaluate output folders (one benchmark)")
    parser.add_argument("--versus", default="synthio", help="the method each paired difference is taken against")
    args = parser.parse_args()
    accuracy_tables(args.folders, args.versus)
    stage_table(args.folders)


if __name__ == "__main__":
    main()
