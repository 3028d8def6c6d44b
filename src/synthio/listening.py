"""``synthio report OUT``: one static page to see and hear an augment run, and the data checks behind it.

Writes ``OUT/report/index.html`` with ``OUT/report/assets/`` (a 16 kHz mono Ogg Vorbis copy and a
log-mel thumbnail PNG of every clip shown, a score plot) and ``OUT/quality.json`` (the checks of
``synthio.quality``). The page has no server, no network and no external resource: open it from
disk. docs/report.md says what each part shows and how to read it.

Which scores: synthetic clips show the CLAP score (and margin) the pipeline recorded in the
manifest, the values that decided kept/rejected. The real clips' own-label and other-label scores
are recomputed here with the configured CLAP (``run.json``'s ``config.clap``, or the ``clap``
argument), as the pipeline computed them, so the plot shows whole distributions and not only the
quantiles in ``run.json``.

Embeddings: every clip is read at the CLAP's ``model_sample_rate`` and embedded twice: whole (as
the pipeline's filter saw it; used for diversity, fidelity and the scores) and fitted to the
common comparison length (used for memorisation, beside the log-mel features of the same fitted
clip at 16 kHz).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from synthio import quality
from synthio.atomic import write_text_atomic
from synthio.audio import AudioError, LogMel, read_audio, resample
from synthio.clap.base import AudioTextScorer
from synthio.errors import SynthioError
from synthio.filter import LabelMatch
from synthio.outdir import MARKER
from synthio.progress import say, track

REPORT_SAMPLE_RATE = 16000
"""The page's audio copies and thumbnails are 16 kHz mono."""
THUMB_BANDS = 48
THUMB_COLUMNS = 128
PAIRS_SHOWN = 12
"""The memorisation section plays every flagged pair and this many of the most similar unflagged ones."""
BATCH = 32


class ReportError(SynthioError):
    """An output folder the report cannot be built from (not an augment output, real clips moved)."""


@dataclass
class ClipSet:
    """The analysis of a list of clips, batch by batch: CLAP embeddings (whole and fitted) and log-mel features."""

    whole: list[np.ndarray] = field(default_factory=list)
    fitted: list[np.ndarray] = field(default_factory=list)
    mels: list[np.ndarray] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(whole embeddings, fitted embeddings, mel features)`` as arrays."""
        return np.concatenate(self.whole), np.concatenate(self.fitted), np.concatenate(self.mels)


def write_report(out: str | Path, corpus: str | Path | None = None, clap: AudioTextScorer | None = None, data_dir: str | Path | None = None) -> Path:
    """Build ``OUT/report/`` (replacing it whole) and ``OUT/quality.json`` for an augment output folder; return the path of ``index.html``.

    ``corpus``: an audiofolder searched for each synthetic clip's nearest clip too. ``clap``: the
    scorer (default: the one configured in ``run.json``). ``data_dir``: the real data folder when
    it moved since the run (default: ``run.json``'s ``config.data_dir``).
    """
    out = Path(out)
    run, manifest = load_run(out)
    data = Path(data_dir) if data_dir is not None else Path(run.get("config", {}).get("data_dir", ""))
    real_rows = real_clips(manifest, data)
    if clap is None:
        from synthio.backends import ClapSpec, load_clap

        clap = load_clap(ClapSpec.model_validate(run.get("config", {}).get("clap") or {}))
    tmp = out / ".report.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "assets").mkdir(parents=True)

    synthetic_rows, missing = [], []
    for row in manifest:
        path = synthetic_path(out, row)
        if path is None:
            missing.append(row["id"])
        else:
            synthetic_rows.append({**row, "path": path, "asset": "syn-" + safe_name(row["id"])})
    if not synthetic_rows:
        raise ReportError(f"{out}: none of the {len(manifest)} generated clips in manifest.jsonl has its file in work/clips/ or audio/; rerun `synthio augment` with the same settings to restore them")
    for k, row in enumerate(real_rows):
        row["asset"] = f"real-{k:04d}"
    lengths = [sf.info(str(row["path"])).duration for row in real_rows + synthetic_rows]
    seconds = quality.common_length([round(s * REPORT_SAMPLE_RATE) for s in lengths], REPORT_SAMPLE_RATE) / REPORT_SAMPLE_RATE

    real = analyse(clap, [row["path"] for row in real_rows], [row["asset"] for row in real_rows], tmp / "assets", seconds, "real clips")
    synthetic = analyse(clap, [row["path"] for row in synthetic_rows], [row["asset"] for row in synthetic_rows], tmp / "assets", seconds, "synthetic clips")
    real_whole, real_fitted, real_mels = real.arrays()
    syn_whole, syn_fitted, syn_mels = synthetic.arrays()

    labels = sorted({row["label"] for row in real_rows})
    own = [labels.index(row["label"]) for row in real_rows]
    match = label_match(clap, real_whole, labels)
    real_scores = match.scores().numpy()
    real_margins = match.margins(own).tolist() if len(labels) > 1 else [None] * len(real_rows)
    for k, row in enumerate(real_rows):
        row["score"], row["margin"] = float(real_scores[k, own[k]]), real_margins[k]
    if len(labels) > 1 and any(row.get("clap_margin") is None for row in synthetic_rows):
        known = [k for k, row in enumerate(synthetic_rows) if row["label"] in labels]
        margins = label_match(clap, syn_whole[known], labels).margins([labels.index(synthetic_rows[k]["label"]) for k in known])
        for k, margin in zip(known, margins.tolist()):
            synthetic_rows[k].setdefault("clap_margin", None)
            if synthetic_rows[k]["clap_margin"] is None:
                synthetic_rows[k]["clap_margin"] = margin

    memorised = quality.nearest(quality.cosine_matrix(syn_fitted, real_fitted), quality.mel_correlation_matrix(syn_mels, real_mels))
    corpus_info, corpus_nearest = None, None
    if corpus is not None:
        corpus_info, corpus_nearest = search_corpus(clap, Path(corpus), syn_fitted, syn_mels, seconds)
    checks = quality_checks(clap.name, real_rows, synthetic_rows, real_whole, syn_whole, memorised, corpus_info, corpus_nearest, seconds, missing)
    pairs = shown_pairs(checks, synthetic_rows, real_rows, corpus_info)
    if corpus_info is not None:
        wanted = sorted({pair["reference"]["index"] for pair in pairs if pair["kind"] == "corpus"})
        for index in wanted:
            write_assets(read_audio(corpus_info["paths"][index], REPORT_SAMPLE_RATE), tmp / "assets", f"corpus-{index:05d}")
    plot_scores(tmp / "assets" / "scores.png", run, real_scores, own, match, synthetic_rows, labels)
    page = render_page(out, run, real_rows, synthetic_rows, labels, checks, pairs, corpus_info)
    (tmp / "index.html").write_text(page, encoding="utf-8")
    write_text_atomic(out / "quality.json", json.dumps(checks, indent=1))
    shutil.rmtree(out / "report", ignore_errors=True)
    tmp.rename(out / "report")
    return out / "report" / "index.html"


def load_run(out: Path) -> tuple[dict, list[dict]]:
    """``run.json`` and the manifest rows of an augment output folder (ReportError when either is missing)."""
    if not out.is_dir():
        raise ReportError(f"{out} does not exist or is not a folder: name the folder `synthio augment --out` wrote")
    if (out / "results.json").is_file():
        raise ReportError(f"{out} is a `synthio evaluate` output (its results page is {out / 'report' / 'index.html'}); name one of its augment runs, {out / 'synthetic'}/METHOD-xK-nN-sS")
    if not (out / "run.json").is_file() or not (out / "manifest.jsonl").is_file():
        if (out / "metadata.csv").is_file() and not (out / MARKER).is_file():
            raise ReportError(f"{out} is a dataset, not a `synthio augment` output: name the folder `synthio augment {out} ... --out OUT` wrote")
        raise ReportError(f"{out} is not a finished `synthio augment` output (no run.json or manifest.jsonl); run or resume `synthio augment ... --out {out}` first")
    run = json.loads((out / "run.json").read_text())
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines() if line.strip()]
    if not manifest:
        raise ReportError(f"{out}/manifest.jsonl lists no generated clip; nothing to report")
    return run, manifest


def real_clips(manifest: list[dict], data_dir: Path) -> list[dict]:
    """One row per real few-shot clip (``parent_file`` of the manifest, in first-seen order) with its label and path under ``data_dir``."""
    rows: dict[str, dict] = {}
    for row in manifest:
        if row.get("parent_file") and row["parent_file"] not in rows:
            rows[row["parent_file"]] = {"file": row["parent_file"], "label": row["label"], "path": data_dir / row["parent_file"]}
    missing = [row["file"] for row in rows.values() if not row["path"].is_file()]
    if missing:
        raise ReportError(f"{len(missing)} real clip(s) are not under {data_dir} (first: {missing[0]}); pass the real data folder with --data DIR if it moved")
    return list(rows.values())


def synthetic_path(out: Path, row: dict) -> Path | None:
    """The generated clip's file: ``work/<file>``, else the kept copy in ``audio/``, else None."""
    for path in (out / "work" / row["file"], out / "audio" / Path(row["file"]).name):
        if path.is_file():
            return path
    return None


def safe_name(text: str) -> str:
    """``text`` with every character outside ``[A-Za-z0-9_.-]`` replaced by ``_`` (a file name safe in a URL)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def analyse(clap: AudioTextScorer, paths: list[Path], assets: list[str], folder: Path | None, seconds: float, description: str) -> ClipSet:
    """Read every clip once: write its page assets (when ``folder``), embed it whole and fitted to ``seconds``, and keep its log-mel features."""
    result = ClipSet()
    rate = int(clap.model_sample_rate)
    for start in track(range(0, len(paths), BATCH), description):
        waves = [read_audio(path, rate) for path in paths[start : start + BATCH]]
        page = [resample(w, rate, REPORT_SAMPLE_RATE) for w in waves]
        if folder is not None:
            for wave, name in zip(page, assets[start : start + BATCH]):
                write_assets(wave, folder, name)
        result.whole.append(clap.embed_audio(waves, rate).float().numpy())
        result.fitted.append(clap.embed_audio(list(quality.fit_all(waves, round(seconds * rate))), rate).float().numpy())
        result.mels.append(quality.mel_features(quality.fit_all(page, round(seconds * REPORT_SAMPLE_RATE)), REPORT_SAMPLE_RATE))
    return result


def write_assets(samples: np.ndarray, folder: Path, name: str) -> None:
    """``folder/name.ogg`` (16 kHz mono Vorbis) and ``folder/name.png`` (log-mel thumbnail) of a 16 kHz clip."""
    samples = np.clip(np.asarray(samples, np.float32), -1.0, 1.0)
    sf.write(str(folder / f"{name}.ogg"), samples, REPORT_SAMPLE_RATE, format="OGG", subtype="VORBIS")
    thumbnail(samples, folder / f"{name}.png")


def thumbnail(samples: np.ndarray, path: Path) -> None:
    """A palette PNG of the clip's log-mel (THUMB_BANDS high, at most THUMB_COLUMNS wide, 80 dB range, magma colours, low bands at the bottom)."""
    from matplotlib import colormaps
    from PIL import Image

    samples = np.asarray(samples, np.float32)
    if len(samples) < 512:
        samples = np.pad(samples, (0, 512 - len(samples)))
    mel = LogMel(REPORT_SAMPLE_RATE, 512, 128, THUMB_BANDS)(torch.from_numpy(samples)[None])[0].numpy() * (10.0 / np.log(10.0))
    columns = min(THUMB_COLUMNS, len(mel))
    mel = np.stack([chunk.mean(0) for chunk in np.array_split(mel, columns)])
    top = mel.max()
    image = np.clip((mel - (top - 80.0)) / 80.0, 0.0, 1.0).T[::-1]
    palette = (colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    picture = Image.fromarray((image * 255).astype(np.uint8), mode="L").convert("P")
    picture.putpalette(palette.flatten().tolist())
    picture.save(path, format="PNG", optimize=True)


def label_match(clap: AudioTextScorer, audio_embeddings: np.ndarray, labels: list[str]) -> LabelMatch:
    """Cosines of audio embeddings to every label's template prompt (as ``synthio.filter.label_match``, from embeddings)."""
    return LabelMatch.of_scorer(clap, torch.as_tensor(audio_embeddings), labels)


def search_corpus(clap: AudioTextScorer, corpus: Path, syn_fitted: np.ndarray, syn_mels: np.ndarray, seconds: float) -> tuple[dict, list[dict]]:
    """Each synthetic clip's nearest corpus clip (``quality.nearest`` merged over batches) and ``{folder, paths, files, clips, skipped}``."""
    from synthio.dataset import read_metadata

    rows = read_metadata(corpus)
    paths = [corpus / row["file_name"] for row in rows]
    best = quality.nearest(np.zeros((len(syn_fitted), 0)), np.zeros((len(syn_fitted), 0)))
    usable, skipped = [], []
    rate = int(clap.model_sample_rate)
    for start in track(range(0, len(paths), BATCH), "corpus clips"):
        waves, page, indices = [], [], []
        for index in range(start, min(start + BATCH, len(paths))):
            try:
                wave = read_audio(paths[index], rate)
            except AudioError as error:
                skipped.append(f"{rows[index]['file_name']}: {error.kind}")
                continue
            waves.append(wave)
            page.append(resample(wave, rate, REPORT_SAMPLE_RATE))
            indices.append(index)
        if not waves:
            continue
        usable += indices
        fitted = clap.embed_audio(list(quality.fit_all(waves, round(seconds * rate))), rate).float().numpy()
        mels = quality.mel_features(quality.fit_all(page, round(seconds * REPORT_SAMPLE_RATE)), REPORT_SAMPLE_RATE)
        found = quality.nearest(quality.cosine_matrix(syn_fitted, fitted), quality.mel_correlation_matrix(syn_mels, mels))
        for row in found:
            for match in row.values():
                if match is not None:
                    match["index"] = indices[match["index"]]
        best = quality.merge_nearest(best, found)
    if skipped:
        say("warning:", f"{len(skipped)} corpus clip(s) skipped (unreadable): {skipped[0]}{' ...' if len(skipped) > 1 else ''}")
    info = {"folder": str(corpus), "paths": paths, "files": [row["file_name"] for row in rows], "labels": [row.get("label", "") for row in rows], "clips": len(usable), "skipped": skipped}
    return info, best


def described(match: dict | None, files: list[str], labels: list[str]) -> dict | None:
    """A ``quality.nearest`` match with the reference clip's file and label added."""
    if match is None:
        return None
    return {"file": files[match["index"]], "label": labels[match["index"]], **match}


def quality_checks(
    clap_name: str, real_rows: list[dict], synthetic_rows: list[dict], real_whole: np.ndarray, syn_whole: np.ndarray,
    memorised: list[dict], corpus_info: dict | None, corpus_nearest: list[dict] | None, seconds: float, missing: list[str],
) -> dict:
    """The content of ``quality.json``: memorisation (per synthetic clip), diversity and fidelity (per class and all classes)."""
    real_files, real_labels = [row["file"] for row in real_rows], [row["label"] for row in real_rows]
    clips = []
    for k, row in enumerate(synthetic_rows):
        entry = {"id": row["id"], "label": row["label"], "round": row.get("round"), "kept": bool(row.get("kept")), "real": {key: described(value, real_files, real_labels) for key, value in memorised[k].items()}}
        if corpus_nearest is not None:
            entry["corpus"] = {key: described(value, corpus_info["files"], corpus_info["labels"]) for key, value in corpus_nearest[k].items()}
        entry["flagged"] = entry["real"]["flagged"] is not None or (corpus_nearest is not None and entry["corpus"]["flagged"] is not None)
        clips.append(entry)
    memorisation = {
        "cosine_threshold": quality.CLAP_COSINE_THRESHOLD,
        "mel_correlation_threshold": quality.MEL_CORRELATION_THRESHOLD,
        "mel_max_lag_seconds": quality.MEL_MAX_LAG_FRAMES * quality.MEL_HOP / quality.MEL_SAMPLE_RATE,
        "common_seconds": seconds,
        "references": {"real": len(real_rows)} | ({"corpus": corpus_info["clips"], "corpus_folder": corpus_info["folder"], "corpus_skipped": corpus_info["skipped"]} if corpus_info else {}),
        "flagged": sum(entry["flagged"] for entry in clips),
        "flagged_kept": sum(entry["flagged"] and entry["kept"] for entry in clips),
        "clips": clips,
    }
    labels = sorted(set(real_labels))
    real_label = np.array(real_labels)
    syn_label = np.array([row["label"] for row in synthetic_rows])
    kept = np.array([bool(row.get("kept")) for row in synthetic_rows])
    first = np.array([row.get("round") == 0 for row in synthetic_rows])
    diversity, fidelity = {}, {}
    for label in labels + [None]:
        real_mask = real_label == label if label else np.ones(len(real_rows), bool)
        syn_mask = syn_label == label if label else np.ones(len(synthetic_rows), bool)
        key = label if label else "all classes"
        diversity[key] = {"real": quality.diversity(real_whole[real_mask]), "round_0": quality.diversity(syn_whole[syn_mask & first]), "kept": quality.diversity(syn_whole[syn_mask & kept])}
        fidelity[key] = {"round_0": quality.set_distances(syn_whole[syn_mask & first], real_whole[real_mask]), "kept": quality.set_distances(syn_whole[syn_mask & kept], real_whole[real_mask])}
    return {
        "clap": clap_name,
        "embedding": "whole clips, CLAP audio embeddings (memorisation: clips fitted to common_seconds)",
        "missing_clips": missing,
        "memorisation": memorisation,
        "diversity": {"measure": "Vendi score, cosine kernel (1 = all alike, n = all orthogonal)", "per_class": diversity},
        "fidelity": {"measure": "Frechet distance and KAD (unbiased MMD^2, Gaussian kernel, median-distance bandwidth) of synthetic vs real embeddings", "per_class": fidelity},
    }


def shown_pairs(checks: dict, synthetic_rows: list[dict], real_rows: list[dict], corpus_info: dict | None) -> list[dict]:
    """The memorisation pairs the page plays: every flagged one, then the PAIRS_SHOWN most correlated unflagged ones (per reference kind)."""
    candidates = []
    for k, entry in enumerate(checks["memorisation"]["clips"]):
        for kind in ("real", "corpus"):
            if kind not in entry:
                continue
            reference = entry[kind]["flagged"] or entry[kind]["by_mel"]
            if reference is not None:
                candidates.append({"synthetic": k, "kind": kind, "reference": reference, "flagged": entry[kind]["flagged"] is not None})
    candidates.sort(key=lambda pair: (not pair["flagged"], -pair["reference"]["mel_correlation"]))
    shown = [pair for pair in candidates if pair["flagged"]]
    for kind in ("real", "corpus"):
        shown += [pair for pair in candidates if not pair["flagged"] and pair["kind"] == kind][:PAIRS_SHOWN]
    return shown


def logit(values: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to [1e-7, 1 - 1e-7]: the score axis on which a saturating CLAP's scores separate."""
    p = np.clip(np.asarray(values, np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def plot_scores(path: Path, run: dict, real_scores: np.ndarray, own: list[int], match: LabelMatch, synthetic_rows: list[dict], labels: list[str]) -> None:
    """Histograms of the real clips' own-label and other-label scores and the synthetic clips' scores (logit axis), and of the margins, with the threshold."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rule, threshold = filter_rule(run)
    mask = np.zeros_like(real_scores, dtype=bool)
    mask[np.arange(len(own)), own] = True
    syn_scores = np.array([row["clap_score"] for row in synthetic_rows if row.get("clap_score") is not None], np.float64)
    panels = 2 if len(labels) > 1 else 1
    figure = Figure(figsize=(4.2 * panels, 2.8), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    series = [(logit(real_scores[mask]), "real, own label", "#1f77b4"), (logit(real_scores[~mask]), "real, other labels", "#999999"), (logit(syn_scores), "synthetic", "#ff7f0e")]
    histogram(axes[0], series, "logit(CLAP score)", logit(np.array([threshold]))[0] if rule == "score" and threshold is not None else None)
    if panels == 2:
        syn_margins = np.array([row["clap_margin"] for row in synthetic_rows if row.get("clap_margin") is not None], np.float64)
        histogram(axes[1], [(match.margins(own).numpy(), "real", "#1f77b4"), (syn_margins, "synthetic", "#ff7f0e")], "margin: cos(own) - max cos(other)", threshold if rule == "margin" and threshold is not None else None)
    figure.tight_layout()
    figure.savefig(path, format="png")


def histogram(axis, series: list[tuple[np.ndarray, str, str]], xlabel: str, threshold: float | None) -> None:
    """Overlaid step histograms on shared bins, and a dashed threshold line when given."""
    values = np.concatenate([v for v, _, _ in series if len(v)] + ([np.array([threshold])] if threshold is not None else []))
    bins = np.linspace(values.min(), values.max() + 1e-9, 31) if len(values) else 10
    for data, name, colour in series:
        if len(data):
            axis.hist(data, bins=bins, histtype="step", linewidth=1.5, color=colour, label=f"{name} ({len(data)})", density=True)
    if threshold is not None:
        axis.axvline(threshold, color="#d62728", linestyle="--", label="threshold")
    axis.set_xlabel(xlabel, fontsize=8)
    axis.set_yticks([])
    axis.tick_params(labelsize=7)
    axis.legend(fontsize=6, frameon=False)


def filter_rule(run: dict) -> tuple[str | None, float | None]:
    """The rule that kept clips (``score``, ``margin`` or None without a filter) and its threshold, from ``run.json`` (older runs: the score rule)."""
    info = run.get("filter")
    if isinstance(info, dict):
        return info.get("rule"), run.get("threshold")
    return ("score", run.get("threshold")) if run.get("threshold") is not None and run.get("threshold_rule") != "no filter" else (None, None)


# ---- the page -------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin-top:1.2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
audio{width:200px;height:32px;display:block}img.mel{width:160px;height:48px;display:block;image-rendering:pixelated}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #ddd;padding:4px;width:206px;font-size:12px;word-break:break-all}
.kept{color:#1a7f37;font-weight:600}.rejected{color:#b42318;font-weight:600}.flag{background:#fde7e9}.warn{color:#b42318}
.small{font-size:12px;color:#555}input.filter{width:22em}
"""

SCRIPT = """
function applyFilter(id){
  var text=document.querySelector('input.filter[data-table="'+id+'"]').value.toLowerCase();
  var status=document.querySelector('select.status[data-table="'+id+'"]').value;
  document.querySelectorAll('#'+id+' tbody tr').forEach(function(row){
    var show=row.textContent.toLowerCase().indexOf(text)>=0&&(status===''||row.dataset.status.split(' ').indexOf(status)>=0);
    row.style.display=show?'':'none';
  });
}
document.querySelectorAll('input.filter, select.status').forEach(function(box){
  box.addEventListener('input',function(){applyFilter(box.dataset.table);});
  box.addEventListener('change',function(){applyFilter(box.dataset.table);});
});
"""


def e(value) -> str:
    """HTML-escaped text of any value (quotes too, so it is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def number(value, digits: int = 4) -> str:
    """A float with ``digits`` decimals, or an en dash for None."""
    return "–" if value is None else f"{value:.{digits}f}"


def player(asset: str) -> str:
    """The audio player and the log-mel thumbnail of one asset name."""
    return f'<audio controls preload="none" src="assets/{e(asset)}.ogg"></audio><img class="mel" src="assets/{e(asset)}.png" alt="log-mel spectrogram">'


def render_page(out: Path, run: dict, real_rows: list[dict], synthetic_rows: list[dict], labels: list[str], checks: dict, pairs: list[dict], corpus_info: dict | None) -> str:
    """The whole ``index.html``."""
    rule, threshold = filter_rule(run)
    models = run.get("models", {})
    memo = checks["memorisation"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Synthio report: {e(out.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Synthio report: {e(out.name)}</h1>",
        f'<p class="small">{e(len(real_rows))} real few-shot clips, {e(len(synthetic_rows))} generated clips shown, {e(sum(bool(r.get("kept")) for r in synthetic_rows))} kept. '
        f"Models: text-to-audio {e(models.get('t2a'))}, CLAP {e(models.get('clap'))}, LLM {e(models.get('llm'))}.</p>",
        "<p>" + " · ".join(f'<a href="#class-{i}">{e(label)}</a>' for i, label in enumerate(labels)) + ' · <a href="#verdict">verdict</a> · <a href="#threshold">threshold</a> · <a href="#checks">data checks</a></p>',
    ]
    if checks["missing_clips"]:
        parts.append(f'<p class="warn">{e(len(checks["missing_clips"]))} generated clip(s) of the manifest have no file any more (first: {e(checks["missing_clips"][0])}); they are left out.</p>')
    parts += verdict_section(run.get("verdict"))
    parts += rounds_section(run, synthetic_rows)
    parts += threshold_section(run, rule, threshold)
    parts += checks_section(checks, labels, pairs, synthetic_rows, real_rows, corpus_info)
    nearest = {entry["id"]: entry for entry in memo["clips"]}
    real_asset = {row["file"]: row["asset"] for row in real_rows}
    for i, label in enumerate(labels):
        parts += class_section(i, label, [r for r in real_rows if r["label"] == label], [r for r in synthetic_rows if r["label"] == label], nearest, real_asset, checks)
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def verdict_section(verdict: dict | None) -> list[str]:
    """Did the kept clips help a classifier on held-out real clips (``synthio.verdict``)?"""
    lines = ['<h2 id="verdict">Verdict</h2>']
    if verdict is None:
        return lines + ["<p>No verdict was computed (<code>--no-verdict</code>, or a run made by <code>synthio evaluate</code>, which measures the same thing on its test part).</p>"]
    style = {"hurt": "warn", "helped": "kept"}.get(verdict["outcome"], "")
    lines.append(f'<p class="{style}">{e(verdict["message"])}</p>')
    if verdict.get("runs"):
        lines.append("<table><thead><tr><th>seed</th><th>real only, accuracy %</th><th>real + synthetic, accuracy %</th><th>synthetic rows</th></tr></thead><tbody>")
        for run in verdict["runs"]:
            lines.append(f'<tr><td>{e(run["seed"])}</td><td class="num">{100 * run["real_only"]:.1f}</td><td class="num">{100 * run["with_synthetic"]:.1f}</td><td class="num">{e(run["synthetic_rows"])}</td></tr>')
        lines.append("</tbody></table>")
        lines.append(
            f'<p class="small">The embedded CNN, {e(verdict["steps"])} steps per training, with and without the kept clips, tested on the same held-out real clips ({e(verdict["mode"])}); '
            f"the interval is a paired bootstrap over seeds and clips. {e(verdict['seconds'])} s.</p>"
        )
    return lines


def rounds_section(run: dict, synthetic_rows: list[dict]) -> list[str]:
    """Generated, kept and rejected clips per round."""
    rounds = run.get("rounds") or {}
    if not rounds:
        for row in synthetic_rows:
            counts = rounds.setdefault(str(row.get("round")), {"generated": 0, "kept": 0, "rejected": 0})
            counts["generated"] += 1
            counts["kept" if row.get("kept") else "rejected"] += 1
    lines = ["<h2>Rounds</h2>", "<table><thead><tr><th>round</th><th>generated</th><th>kept</th><th>rejected</th></tr></thead><tbody>"]
    for r, counts in sorted(rounds.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0):
        cells = "".join(f'<td class="num">{e(counts.get(key))}</td>' for key in ("generated", "kept", "rejected"))
        lines.append(f'<tr><td>{e(r)}{" (first generation)" if r == "0" else " (self-reflection)"}</td>{cells}</tr>')
    lines.append(f'</tbody><tfoot><tr><th>all</th><td class="num">{e(run.get("generated", len(synthetic_rows)))}</td><td class="num">{e(run.get("kept", ""))}</td><td></td></tr></tfoot></table>')
    return lines


def threshold_section(run: dict, rule: str | None, threshold: float | None) -> list[str]:
    """The filter rule, its threshold, the quantiles of run.json and the score plot."""
    lines = ['<h2 id="threshold">Threshold</h2>']
    if rule is None:
        lines.append("<p>No filter: every generated clip was kept.</p>")
    else:
        value = "CLAP score against &quot;Sound of a {label}&quot;" if rule == "score" else "margin (cosine to its own label minus the best other label)"
        lines.append(f"<p>Rule <b>{e(rule)}</b>, threshold <b>{e(number(threshold))}</b> ({e(run.get('threshold_rule', ''))}). A clip is kept when its {value} reaches it.</p>")
    quantiles = run.get("real_scores") or {}
    if quantiles:
        keys = ["q05", "q10", "q25", "q50", "q75", "q90", "mean"]
        lines.append("<table><thead><tr><th>real clips (run.json)</th>" + "".join(f"<th>{k}</th>" for k in keys) + "</tr></thead><tbody>")
        for name, values in quantiles.items():
            lines.append(f"<tr><td>{e(name)}</td>" + "".join(f'<td class="num">{e(number(values.get(k)))}</td>' for k in keys) + "</tr>")
        lines.append("</tbody></table>")
    lines.append('<p><img src="assets/scores.png" alt="score distributions of real and synthetic clips"></p>')
    lines.append(
        '<p class="small">Left: real clips\' scores under their own label and under the other labels (recomputed with the CLAP), synthetic clips\' scores (as recorded); '
        "the x axis is logit(score) = exp(logit scale) · cosine + bias (0 unless the CLAP is calibrated), where a saturating CLAP's scores still separate. Right: margins. The dashed line is the threshold of the rule in use.</p>"
    )
    return lines


def checks_section(checks: dict, labels: list[str], pairs: list[dict], synthetic_rows: list[dict], real_rows: list[dict], corpus_info: dict | None) -> list[str]:
    """Memorisation pairs, diversity and fidelity tables."""
    memo = checks["memorisation"]
    refs = f"the {memo['references']['real']} real few-shot clips" + (f" and {memo['references']['corpus']} clips of the corpus {memo['references']['corpus_folder']}" if corpus_info else "")
    lines = [
        '<h2 id="checks">Data checks</h2>',
        "<h3>Memorisation</h3>",
        f'<p><b class="{"warn" if memo["flagged"] else "kept"}">{e(memo["flagged"])} of {e(len(memo["clips"]))} generated clips flagged</b> ({e(memo["flagged_kept"])} of them kept) as possible copies of {e(refs)}: '
        f"CLAP cosine ≥ {e(memo['cosine_threshold'])} and log-mel correlation ≥ {e(memo['mel_correlation_threshold'])} with one clip "
        f"(clips fitted to {e(number(memo['common_seconds'], 2))} s; correlation the best over shifts of up to {e(number(memo['mel_max_lag_seconds'], 2))} s).</p>",
        "<table><thead><tr><th>synthetic clip</th><th></th><th>nearest reference</th><th></th><th>CLAP cosine</th><th>log-mel r</th><th>flagged</th></tr></thead><tbody>",
    ]
    for pair in pairs:
        row = synthetic_rows[pair["synthetic"]]
        ref = pair["reference"]
        asset = real_rows[ref["index"]]["asset"] if pair["kind"] == "real" else f"corpus-{ref['index']:05d}"
        status = "kept" if row.get("kept") else "rejected"
        lines.append(
            f'<tr class="{"flag" if pair["flagged"] else ""}"><td>{player(row["asset"])}</td><td><a href="#{e(row["asset"])}">{e(row["id"])}</a><br>{e(row["label"])}, <span class="{status}">{status}</span></td>'
            f"<td>{player(asset)}</td><td>{e(pair['kind'])}: {e(ref['file'])}<br>{e(ref['label'])}</td>"
            f"<td class=\"num\">{e(number(ref['cosine']))}</td><td class=\"num\">{e(number(ref['mel_correlation']))}</td><td>{'yes' if pair['flagged'] else 'no'}</td></tr>"
        )
    lines.append("</tbody></table>")
    lines.append('<p class="small">Every flagged pair is listed, then the most correlated unflagged ones. Values near 1 on both measures mean the synthetic clip repeats the reference clip; see docs/report.md.</p>')
    lines += ["<h3>Diversity (Vendi score in CLAP space)</h3>", "<table><thead><tr><th>class</th><th>real: n</th><th>Vendi</th><th>round 0: n</th><th>Vendi</th><th>kept: n</th><th>Vendi</th></tr></thead><tbody>"]
    for key, sets in checks["diversity"]["per_class"].items():
        lines.append(f"<tr><td>{e(key)}</td>" + "".join(f'<td class="num">{e(sets[s]["n"])}</td><td class="num">{e(number(sets[s]["vendi"], 2))}</td>' for s in ("real", "round_0", "kept")) + "</tr>")
    lines.append("</tbody></table>")
    lines.append('<p class="small">Vendi = the effective number of distinct clips: 1 when all are alike, n when all are orthogonal. It grows with n, so compare sets of similar size, or each set against its own n.</p>')
    lines += ["<h3>Fidelity (synthetic vs real, CLAP space)</h3>", "<table><thead><tr><th>class</th><th>n real</th><th>n round 0 → kept</th><th>Fréchet distance: round 0 → kept</th><th>KAD: round 0 → kept</th></tr></thead><tbody>"]
    for key, sets in checks["fidelity"]["per_class"].items():
        first, kept = sets["round_0"], sets["kept"]
        lines.append(
            f'<tr><td>{e(key)}</td><td class="num">{e(first["n_real"])}</td><td class="num">{e(first["n_synthetic"])} → {e(kept["n_synthetic"])}</td>'
            f'<td class="num">{e(number(first["fd"]))} → {e(number(kept["fd"]))}</td><td class="num">{e(number(first["kad"]))} → {e(number(kept["kad"]))}</td></tr>'
        )
    lines.append("</tbody></table>")
    lines.append('<p class="small">Lower is closer to the real clips. Round 0 = every clip of the first generation (before filtering); kept = the final kept set of all rounds. Both need at least two clips per set (– otherwise).</p>')
    return lines


def class_section(i: int, label: str, real_rows: list[dict], synthetic_rows: list[dict], nearest: dict[str, dict], real_asset: dict[str, str], checks: dict) -> list[str]:
    """One class: its real clips, then the table of its synthetic clips with a text filter and a status filter."""
    table = f"table-{i}"
    div, fid = checks["diversity"]["per_class"].get(label, {}), checks["fidelity"]["per_class"].get(label, {})
    kept = sum(bool(r.get("kept")) for r in synthetic_rows)
    lines = [
        f'<h2 id="class-{i}">{e(label)}</h2>',
        f'<p class="small">{e(len(real_rows))} real, {e(len(synthetic_rows))} generated, {e(kept)} kept. '
        f"Vendi real {e(number(div.get('real', {}).get('vendi'), 2))}, kept {e(number(div.get('kept', {}).get('vendi'), 2))}; "
        f"FD round 0 → kept {e(number(fid.get('round_0', {}).get('fd')))} → {e(number(fid.get('kept', {}).get('fd')))}; "
        f"KAD {e(number(fid.get('round_0', {}).get('kad')))} → {e(number(fid.get('kept', {}).get('kad')))}.</p>",
        "<h3>Real few-shot clips</h3>",
        '<div class="cards">',
    ]
    for row in real_rows:
        lines.append(f'<div class="card" id="{e(row["asset"])}">{player(row["asset"])}{e(row["file"])}<br>score {e(number(row["score"]))}, margin {e(number(row["margin"]))}</div>')
    lines += [
        "</div>",
        "<h3>Synthetic clips</h3>",
        f'<p><input type="search" class="filter" data-table="{table}" placeholder="filter {e(label)}: caption, id, round, parent, kept/rejected" aria-label="filter {e(label)}"> '
        f'<select class="status" data-table="{table}" aria-label="status"><option value="">all</option><option value="kept">kept</option><option value="rejected">rejected</option><option value="flagged">flagged</option></select></p>',
        f'<table id="{table}"><thead><tr><th>clip</th><th>caption</th><th>CLAP score</th><th>margin</th><th>status</th><th>round</th><th>parent (real clip)</th><th>nearest real clip</th></tr></thead><tbody>',
    ]
    for row in synthetic_rows:
        status = "kept" if row.get("kept") else "rejected"
        entry = nearest.get(row["id"], {})
        flagged = entry.get("flagged", False)
        near = (entry.get("real") or {}).get("flagged") or (entry.get("real") or {}).get("by_mel")
        near_text = f"{e(near['file'])}<br>cos {e(number(near['cosine'], 3))}, r {e(number(near['mel_correlation'], 3))}" if near else "–"
        rewrite = f'<br>rewrite of <a href="#syn-{e(safe_name(row["parent_id"]))}">{e(row["parent_id"])}</a>' if row.get("parent_id") else ""
        parent = row.get("parent_file") or ""
        parent_player = player(real_asset[parent]) if parent in real_asset else ""
        lines.append(
            f'<tr id="{e(row["asset"])}" data-status="{status}{" flagged" if flagged else ""}" class="{"flag" if flagged else ""}">'
            f'<td>{player(row["asset"])}{e(row["id"])}</td><td>{e(row.get("caption", ""))}</td><td class="num">{e(number(row.get("clap_score")))}</td>'
            f'<td class="num">{e(number(row.get("clap_margin")))}</td><td class="{status}">{status}{" · flagged" if flagged else ""}</td><td class="num">{e(row.get("round"))}</td>'
            f"<td>{parent_player}{e(parent)}{rewrite}</td><td>{near_text}</td></tr>"
        )
    lines.append("</tbody></table>")
    return lines
