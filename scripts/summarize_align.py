"""Print a markdown table of ``synthio align`` runs (one ``align.json`` per folder) and the mean FD change per group.

Usage: python scripts/summarize_align.py runs/align/*/
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    rows = []
    for folder in sys.argv[1:]:
        path = Path(folder) / "align.json"
        if path.exists():
            rows.append((Path(folder).name, json.loads(path.read_text())))
    print("| run | objective | n | seed | initial loss | final loss | implicit acc. | FD before | FD after | change | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    groups = defaultdict(list)
    for name, r in rows:
        config = r["config"]
        change = (r["fd_after"] - r["fd_before"]) / r["fd_before"]
        groups[(Path(config["data_dir"]).name, config["n"], r["objective"])].append((r["fd_before"], r["fd_after"]))
        print(f"| {name} | {r['objective']} | {config['n']} | {config['seed']} | {r['initial_loss']:.7f} | {r['final_loss']:.4f} | {r['implicit_accuracy']:.3f} | {r['fd_before']:.4f} | {r['fd_after']:.4f} | {change:+.1%} | {r['seconds']:.0f} |")
    print()
    print("| data | n | objective | runs | mean FD before | mean FD after | change |")
    print("|---|---|---|---|---|---|---|")
    for (data, n, objective), values in sorted(groups.items()):
        before = sum(v[0] for v in values) / len(values)
        after = sum(v[1] for v in values) / len(values)
        print(f"| {data} | {n} | {objective} | {len(values)} | {before:.4f} | {after:.4f} | {(after - before) / before:+.1%} |")


if __name__ == "__main__":
    main()
