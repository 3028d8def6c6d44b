"""Merge the results.json of `synthio evaluate` runs made with the same settings (e.g. seeds run in parallel) and write summary.md, summary.png and the report.

The runs must share a fingerprint (every setting but out, n, seeds and methods); a run present in
two inputs (same method, n and seed) is an error, not a silent pick, unless --replace says that
later inputs replace earlier ones (e.g. runs redone after a fix; each replacement is printed).

Usage: python scripts/merge_results.py OUT runs/a/results.json runs/b/results.json [...] [--replace]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synthio.atomic import write_text_atomic
from synthio.errors import SynthioError
from synthio.evaluation_report import write_evaluation_report
from synthio.report import write_summary


def merge_results(parts: list[dict], replace: bool = False) -> tuple[dict, list[tuple]]:
    """One results dict holding every run of ``parts`` (ordered by n, seed, then input order), with the union of their seeds; and the runs replaced."""
    if len({p["fingerprint"] for p in parts}) != 1:
        raise SynthioError("the results were made with different settings (fingerprints differ); merge only runs of one configuration")
    by_key: dict[tuple, dict] = {}
    replaced = []
    for part in parts:
        for run in part["runs"]:
            key = (run["method"], run["n"], run["seed"])
            if key in by_key:
                if not replace:
                    raise SynthioError(f"run {key} appears in more than one input (pass --replace to let later inputs replace earlier ones)")
                replaced.append(key)
            by_key[key] = run
    runs = sorted(by_key.values(), key=lambda r: (r["n"], r["seed"]))
    config = {**parts[0]["config"], "seeds": sorted({r["seed"] for r in runs}), "n": sorted({r["n"] for r in runs})}
    return {**parts[0], "config": config, "runs": runs}, replaced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("results", type=Path, nargs="+")
    parser.add_argument("--replace", action="store_true", help="a run in several inputs: keep the last input's")
    args = parser.parse_args()
    merged, replaced = merge_results([json.loads(path.read_text()) for path in args.results], args.replace)
    for method, n, seed in replaced:
        print(f"replaced {method} n={n} seed={seed} by a later input's run")
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out / "results.json", json.dumps(merged, indent=2))
    write_summary(merged, args.out)
    print(f"wrote {args.out / 'summary.md'} and {write_evaluation_report(merged, args.out)} ({len(merged['runs'])} runs)")


if __name__ == "__main__":
    main()
