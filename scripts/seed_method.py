"""Start one synthetic method's augment folders of a ``synthio evaluate`` output from another method's finished alignment and captions.

Usage: python scripts/seed_method.py runs/us8k --from synthio --to retrieval-variations --n 50 --seeds 0,2,4

For each seed, the folder ``OUT/synthetic/TO-xK-nN-sS`` is claimed with the settings evaluate will
give it, and FROM's ``work/align_*`` and captions are copied in, so TO's run (the same evaluate
command with TO added to ``--methods``) finds those stages done and spends its time on what
differs. Refused unless the two methods agree on every setting those stages read. Run it from the
folder the evaluate command ran in (its relative paths are recorded as given).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from synthio.evaluation import EvaluateConfig, synthetic_config
from synthio.outdir import MARKER, claim_output
from synthio.pipeline import AUGMENT_OUTPUTS, augment_inputs

SHARED_STAGES = ("data_dir", "where", "n", "seed", "factor", "skip_bad", "t2a", "clap", "captioner", "llm", "captions", "align", "align_train", "align_validation_clips", "align_validate_every")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the synthio evaluate output folder")
    parser.add_argument("--from", dest="source", required=True, help="the method whose finished stages are copied")
    parser.add_argument("--to", dest="target", required=True, help="the method whose folders start from them")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--seeds", required=True, help="comma-separated")
    parser.add_argument("--factor", type=int, default=4)
    args = parser.parse_args()
    recorded = json.loads((args.out / MARKER).read_text())["settings"]
    fields = {key: value for key, value in recorded.items() if key in EvaluateConfig.model_fields}
    seeds = [int(s) for s in args.seeds.split(",")]
    config = EvaluateConfig(**fields, out=args.out, n=[args.n], seeds=seeds, methods=[args.source, args.target])
    for seed in seeds:
        source, target = (synthetic_config(config, name, args.n, seed, args.factor) for name in (args.source, args.target))
        differ = [key for key in SHARED_STAGES if getattr(source, key) != getattr(target, key)]
        if differ:
            raise SystemExit(f"{args.source} and {args.target} differ in {', '.join(differ)}: the copied stages would not be {args.target}'s")
        done = source.out / "work"
        if not (done / f"align_{source.align}" / "align.json").is_file() and source.align != "none":
            raise SystemExit(f"{done}: no finished alignment; run {args.source} first")
        if target.out.exists():
            raise SystemExit(f"{target.out} exists; delete it to seed it again")
        with claim_output(target.out, "augment", target.output_settings(), inputs=augment_inputs(target), added_later=target.added_later(), outputs=AUGMENT_OUTPUTS):
            work = target.out / "work"
            work.mkdir()
            if source.align != "none":
                shutil.copytree(done / f"align_{source.align}", work / f"align_{source.align}")
            for name in ("captions.json", f"captions_{source.captions}.json"):
                shutil.copy(done / name, work / name)
        print(f"seeded {target.out} from {source.out}")


if __name__ == "__main__":
    main()
