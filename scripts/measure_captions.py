"""Caption quality of MixCap with the embedded LLM vs the rule-based composer (`captions: compose`).

For one few-shot split (the descriptor captioner's captions of its real clips), writes `--factor`
new captions per clip both ways and prints, per way: the share of captions `caption_problems`
accepts (real words, 3-25 words, no echo of the prompt), the share that name their label before any
repair, distinct-1/distinct-2 (unique word uni-/bigrams over all of them) and words per caption.
The LLM's captions are taken as it wrote them (prompt 2's JSON, before the pipeline's refusal and
label repair), so the figures grade the model, not the pipeline's safety net.

With `--runs`, grades instead the captions `synthio augment` runs really generated from (every
clip of each single-label run's `manifest.jsonl`: MixCap's after refusal, repair and fallback, and the
reflection rounds' rewrites), with the share that are the template fallback "Sound of a {label}"
and the number of distinct captions: what the pipeline, safety net included, gives the T2A.

Usage: python scripts/measure_captions.py ../shared/data/urbansound8k --where fold=3 --n 50 [--no-llm] [--out FILE]
       python scripts/measure_captions.py --runs RUN [RUN ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from synthio.backends import CaptionerSpec, LLMSpec, load_captioner, load_llm
from synthio.clap.base import template_prompt
from synthio.errors import SynthioError
from synthio.llm.structured import StructuredOutputError, chat_json
from synthio.mixcap.captions import Pool, extract_pools
from synthio.mixcap.compose import compose_captions, phrase_pools
from synthio.mixcap.schema import NewCaptions, label_words, writing_messages
from synthio.mixcap.validate import caption_problems
from synthio.split import FewShotSelection

SAMPLE_RATE = 16000


def names(caption: str, label: str) -> bool:
    """The label as whole words, spelled out ("air conditioner") or as written ("air_conditioner", the template's form)."""
    return any(re.search(rf"\b{re.escape(form)}\b", caption, re.IGNORECASE) for form in {label, label_words(label)})


def quality(captions: list[tuple[str, str, str]]) -> dict:
    """``captions``: (caption, label, prompt) triples -> the figures printed per way."""
    words = [c.lower().split() for c, _, _ in captions]
    unigrams = [w for ws in words for w in ws]
    bigrams = [tuple(ws[i : i + 2]) for ws in words for i in range(len(ws) - 1)]
    return {
        "captions": len(captions),
        "valid": sum(not caption_problems(c, label, prompt) for c, label, prompt in captions) / max(1, len(captions)),
        "names_label": sum(names(c, label) for c, label, _ in captions) / max(1, len(captions)),
        "distinct_1": len(set(unigrams)) / max(1, len(unigrams)),
        "distinct_2": len(set(bigrams)) / max(1, len(bigrams)),
        "words_per_caption": len(unigrams) / max(1, len(captions)),
    }


def run_captions(run: Path) -> dict:
    """The captions one `synthio augment` run generated from (manifest.jsonl): quality, template-fallback share, distinct captions."""
    manifest = run / "manifest.jsonl"
    if not manifest.is_file():
        raise SynthioError(f"{manifest} not found: pass the output folder of a finished `synthio augment` run")
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    captions = [(r["caption"], r["label"], "") for r in rows]
    return quality(captions) | {
        "template_fallback": sum(r["caption"] == template_prompt(r["label"]) for r in rows) / max(1, len(rows)),
        "distinct_captions": len({c for c, _, _ in captions}),
        "reflection_rewrites": sum(r["round"] > 0 for r in rows),
    }


def llm_captions(llm, real: list[str], labels: list[str], factor: int, seed: int) -> list[tuple[str, str, str]]:
    """MixCap prompts 1 and 2 with the LLM, one call per clip, captions as written (an unparseable answer gives none)."""
    pools, _ = extract_pools(llm, real, labels, seed=seed)
    out = []
    for i, label in enumerate(labels):
        pool = pools.get(label, Pool())
        rng = random.Random(seed * 1_000_003 + i)
        events = rng.sample(pool.events, max(1, round(0.75 * len(pool.events)))) if pool.events else []
        scenes = rng.sample(pool.scenes, max(1, round(0.75 * len(pool.scenes)))) if pool.scenes else []
        messages = writing_messages(label, events, scenes, factor)
        try:
            answer = chat_json(llm, messages, NewCaptions, seed=seed * 1_000_003 + i)
        except StructuredOutputError:
            continue
        out += [(c, label, messages[-1]["content"]) for c in answer.captions[:factor]]
    return out


def split_captions(args: argparse.Namespace) -> dict:
    """The real clips' captions of one few-shot split, and new ones written both ways (the LLM as it answers, the composer)."""
    clips = FewShotSelection(data_dir=args.data, out=Path("unused"), where=args.where, n=args.n, seed=args.seed).load(SAMPLE_RATE)
    labels = [c.label for c in clips]
    real = load_captioner(CaptionerSpec()).caption([c.samples for c in clips], SAMPLE_RATE, labels)
    pools = phrase_pools(real, labels)
    composed = [(c, label, "") for i, label in enumerate(labels) for c in compose_captions(label, pools[label], args.factor, seed=args.seed * 1_000_003 + i)]
    report = {"clips": len(clips), "real": quality([(c, label, "") for c, label in zip(real, labels)]), "compose": quality(composed), "examples": {"compose": [c for c, _, _ in composed[:: max(1, len(composed) // 6)]]}}
    if not args.no_llm:
        llm = load_llm(LLMSpec(cache_dir=None))
        written = llm_captions(llm, real, labels, args.factor, args.seed)
        report["llm"] = quality(written) | {"llm": llm.name, "clips_with_captions": len({(label, p) for _, label, p in written})}
        report["examples"]["llm"] = [c for c, _, _ in written[:: max(1, len(written) // 6)]]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, nargs="?", help="dataset folder (not with --runs)")
    parser.add_argument("--runs", type=Path, nargs="+", default=None, help="grade the captions these `synthio augment` output folders generated from")
    parser.add_argument("--where", action="append", default=[])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--no-llm", action="store_true", help="measure the composer only")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if (args.runs is None) == (args.data is None):
        parser.error("give a dataset folder or --runs, not both")
    report = {str(run): run_captions(run) for run in args.runs} if args.runs else split_captions(args)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
