"""``synthio`` command line: thin wrappers over the library functions, one command per stage."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from synthio.errors import SynthioError
from synthio.progress import console, say

app = typer.Typer(
    name="synthio",
    help="Synthio: make small labelled audio datasets big enough to learn from, and measure whether it helped.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


DataDir = Annotated[Optional[Path], typer.Argument(help="audiofolder with metadata.csv (file_name,label,...)")]
Where = Annotated[Optional[list[str]], typer.Option(help="train pool filter COLUMN=V[,V2]; repeatable (e.g. fold=3)")]
FewShotN = Annotated[Optional[int], typer.Option(help="few-shot size (paper rule per class; same split as evaluate)")]
ConfigFile = Annotated[Optional[Path], typer.Option(help="YAML with any setting (see --print-config); flags override it")]
PrintConfig = Annotated[bool, typer.Option("--print-config", help="print the resolved settings as YAML and exit: every default, then the YAML's and the flags' values (DATA_DIR and --out may be left out)")]
Force = Annotated[bool, typer.Option("--force", help="also write beside the files of a non-empty folder Synthio did not make (never over them), or into one inside the input folder (never the input folder itself)")]
SkipBad = Annotated[bool, typer.Option("--skip-bad", help="skip unusable rows and list them instead of stopping")]

METHODS_HELP = (
    "comma-separated, from: classic gold, noise, pitch, specaug, audiomentations; synthetic (runs `synthio augment` per split) "
    "synthio, vanilla-syn, llm-caps, template-captions, compose-captions (MixCap by rules), erm, no-reflection, no-mixcap, no-dpo, "
    "synthio-variations (init_strength 0.5), retrieval-variations (init_strength 0.5 from the clips retrieval picks); retrieval"
)


def _csv(value: str | None, flag: str, cast=str) -> list | None:
    if value is None:
        return None
    try:
        return [cast(v.strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"{flag} {value!r} is not a comma-separated list of {cast.__name__}s") from None


def _print_config(model, config: Path | None, overrides: dict) -> None:
    """``--print-config``: the settings the command would run with (YAML + flags), as YAML; a folder not given yet shows as DATA_DIR or OUT."""
    from synthio.config import dump_config, load_config

    placeholders = {key: Path(key.upper()) for key in ("data_dir", "out") if key in model.model_fields}
    typer.echo(dump_config(load_config(model, config, overrides, fallbacks=placeholders)))


def _count(number: int, noun: str) -> str:
    """'1 label', '2 labels'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _fail(error: Exception) -> None:
    say("error:", error, style="red")
    raise typer.Exit(code=2)


def config_default(model, path: str) -> str | None:
    """The default of the setting at dotted ``path`` of ``model`` (``train.steps``) as a flag would write it; None if there is none."""
    from pydantic import BaseModel

    from synthio.config import section_model

    *sections, name = path.split(".")
    for section in sections:
        field = model.model_fields.get(section)
        model = section_model(field.annotation) if field is not None else None
        if model is None:
            return None
    field = model.model_fields.get(name)
    value = None if field is None or field.is_required() else field.get_default(call_default_factory=True)
    if value is None or isinstance(value, BaseModel) or value in ([], ()):
        return None
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def with_config_defaults(model_path: str, paths: dict[str, str]):
    """A command class whose ``--help`` shows, after each option left unset by default, the default of the config setting it overrides.

    ``model_path`` is "module:Class", imported only for help; an option sets the top-level setting of its own name unless ``paths`` maps it to another (``steps`` -> ``train.steps``).
    """
    from typer.core import TyperCommand

    class ConfigDefaultsCommand(TyperCommand):
        def format_help(self, ctx, formatter):
            import importlib

            from rich.markup import escape

            module, _, cls = model_path.partition(":")
            model = getattr(importlib.import_module(module), cls)
            for param in self.params:
                default = config_default(model, paths.get(param.name, param.name)) if param.param_type_name == "option" and param.default is None else None
                if default is not None and "config default:" not in (param.help or ""):
                    param.help = f"{param.help} " + escape(f"[config default: {default}]")
            return super().format_help(ctx, formatter)

    return ConfigDefaultsCommand


def command(group: typer.Typer = app, name: str | None = None, config: str | None = None, config_paths: dict[str, str] | None = None):
    """Register a command whose ``SynthioError`` becomes one red message and exit code 2 (any other exception stays a traceback); ``config`` ("module:Class") puts its settings' defaults in ``--help``."""

    def register(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except SynthioError as error:
                _fail(error)

        return group.command(name, cls=with_config_defaults(config, config_paths or {}) if config else None)(run)

    return register


@command(config="synthio.evaluation:EvaluateConfig")
def evaluate(
    data_dir: DataDir = None,
    train_where: Where = None,
    test_where: Annotated[Optional[list[str]], typer.Option(help="test part filter COLUMN=V[,V2]; repeatable (e.g. fold=10)")] = None,
    n: Annotated[Optional[str], typer.Option(help="few-shot sizes, e.g. 50,100,200 (paper rule per class)")] = None,
    methods: Annotated[Optional[str], typer.Option(help=METHODS_HELP)] = None,
    seeds: Annotated[Optional[str], typer.Option(help="seeds, e.g. 0,1,2 (one few-shot split each)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="output folder: results.json, summary.md, summary.png")] = None,
    extra_train: Annotated[Optional[list[Path]], typer.Option(help="audiofolder of extra train rows (e.g. synthetic), run as method extra:NAME; repeatable")] = None,
    factor: Annotated[Optional[str], typer.Option(help="synthetic clips per real clip for synthetic methods and retrieval, e.g. 4 or 1,2,4,8 (a sweep)")] = None,
    augment_config: Annotated[Optional[Path], typer.Option(help="YAML of `synthio augment` settings used by the synthetic methods")] = None,
    retrieval_pool: Annotated[Optional[Path], typer.Option(help="audiofolder the retrieval method draws from, and where retrieval-variations start (e.g. the pretraining corpus)")] = None,
    classifier: Annotated[Optional[str], typer.Option(help="cnn (from scratch), cnn-pretrained (the CNN fine-tuned from the tiny CLAP's audio encoder), clap-probe (probe on the frozen tiny CLAP encoder) or ast (transformers AST)")] = None,
    classifier_path: Annotated[Optional[Path], typer.Option(help="for ast: local checkpoint folder or config.json; for cnn-pretrained and clap-probe: a `synthio pretrain clap` model folder (default: the shipped tiny CLAP v1)")] = None,
    val_group: Annotated[Optional[str], typer.Option(help="column of each clip's source recording; validation never shares one with train")] = None,
    seconds: Annotated[Optional[float], typer.Option(help="clip length fed to the classifier (default: from the data)")] = None,
    steps: Annotated[Optional[int], typer.Option(help="optimiser steps per run (same for every method)")] = None,
    learning_rate: Annotated[Optional[float], typer.Option(help="AdamW learning rate (default: the classifier's own; choose it on validation accuracy, never on the test part)")] = None,
    synthetic_schedule: Annotated[Optional[str], typer.Option(help="mix: generated rows train with the real clips; pretrain: on the generated rows first, then on the real clips")] = None,
    synthetic_gate: Annotated[Optional[str], typer.Option(help="off: generated rows always train; validation: only where they beat the real clips alone on validation (results.json says which)")] = None,
    copies: Annotated[Optional[int], typer.Option(help="augmented copies per real clip for waveform methods")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu or cuda")] = None,
    skip_bad: SkipBad = False,
    config: ConfigFile = None,
    print_config: PrintConfig = False,
    force: Force = False,
) -> None:
    """Train a classifier on few-shot splits with each augmentation method and test it once.

    Writes OUT/results.json (every run), OUT/summary.md (mean ± std per method and n) and
    OUT/summary.png. Rerunning the same command resumes where it stopped.
    """
    from synthio import api
    from synthio.evaluation import EvaluateConfig

    overrides = dict(
        data_dir=data_dir,
        out=out,
        train_where=train_where,
        test_where=test_where,
        n=_csv(n, "--n", int),
        methods=_csv(methods, "--methods"),
        seeds=_csv(seeds, "--seeds", int),
        extra_train=extra_train,
        factor=_csv(factor, "--factor", int),
        augment_config=augment_config,
        retrieval_pool=retrieval_pool,
        classifier=classifier,
        classifier_path=classifier_path,
        val_group=val_group,
        seconds=seconds,
        steps=steps,
        learning_rate=learning_rate,
        synthetic_schedule=synthetic_schedule,
        synthetic_gate=synthetic_gate,
        copies=copies,
        device=device,
        skip_bad=skip_bad or None,
    )
    if print_config:
        return _print_config(EvaluateConfig, config, overrides)
    result = api.evaluate(**overrides, config=config, force=force)
    console.print(f"wrote {result.out / 'results.json'}, summary.md, summary.png ({len(result.runs)} run{'s' * (len(result.runs) != 1)})")
    console.print((result.out / "summary.md").read_text(), markup=False, highlight=False)


@command()
def validate(
    data_dir: Annotated[Path, typer.Argument(help="audiofolder with metadata.csv")],
    train_where: Annotated[Optional[list[str]], typer.Option(help="train part filter COLUMN=V[,V2] (alone: check only that part)")] = None,
    test_where: Annotated[Optional[list[str]], typer.Option(help="test part filter COLUMN=V[,V2] (with --train-where: check both parts)")] = None,
    sample_rate: Annotated[int, typer.Option(min=1000, help="rate the audio is decoded at")] = 16000,
    allow_outside: Annotated[bool, typer.Option("--allow-outside", help="accept file_name entries that lead outside DATA_DIR (absolute, .., symlinks)")] = False,
) -> None:
    """Decode every row (or the selected parts) and list every problem at once (exit 1 if any, or if no clip is usable); warn of silent and clipped clips."""
    from synthio.dataset import level_warnings, load_parts, load_selection, parse_where

    if train_where and test_where:
        parts = load_parts(data_dir, parse_where(train_where), parse_where(test_where), sample_rate, skip_bad=True, allow_outside=allow_outside)
        problems, usable = parts.skipped, f"{len(parts.train)} train and {len(parts.test)} test clips usable, {_count(len(parts.labels), 'label')}"
        empty, clips = not parts.train or not parts.test, parts.train + parts.test
    else:
        clips, problems = load_selection(data_dir, parse_where(train_where or test_where), sample_rate, skip_bad=True, allow_outside=allow_outside)
        usable = f"{len(clips)} clips usable, {_count(len({label for c in clips for label in c.all_labels}), 'label')}"
        empty = not clips
    for problem in problems:
        say("bad", problem, style="red")
    warnings = level_warnings(data_dir, clips)
    for warning in warnings:
        say("warn", f"{warning}: usable, but check it")
    console.print(f"{usable}, {len(problems)} problem(s), {len(warnings)} warning(s)")
    if empty and not problems:
        say("bad", f"no usable clip: {data_dir}/metadata.csv (or the part selected) lists none; add one row per clip", style="red")
    if problems or empty:
        raise typer.Exit(code=1)


@command()
def example(
    out: Annotated[Path, typer.Argument(help="folder to write the example audiofolder into")],
    clips_per_class: Annotated[int, typer.Option(min=1, help="train clips per class (test gets half as many)")] = 40,
    seconds: Annotated[float, typer.Option(min=0.01, max=600.0, help="clip length")] = 2.0,
    sample_rate: Annotated[int, typer.Option(min=1000, help="sample rate of the written files")] = 16000,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    force: Force = False,
) -> None:
    """Write a small synthetic labelled dataset (six procedural sound classes, split=train|test)."""
    from synthio.example import write_example

    path = write_example(out, clips_per_class=clips_per_class, seconds=seconds, sample_rate=sample_rate, seed=seed, force=force)
    console.print(f"wrote {path}")


corpus_app = typer.Typer(help="Build the captioned pretraining corpus from the sources on this machine.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@command(corpus_app, "build")
def corpus_build(
    out: Annotated[Path, typer.Argument(help="corpus folder (audiofolder with a caption column); rerun to resume")],
    data_root: Annotated[Path, typer.Option(help="folder holding urbansound8k/ and fsdd/ (only their pretraining parts are read)")] = Path("../shared/data"),
    sources: Annotated[Optional[str], typer.Option(help="comma-separated subset of the source names (docs/corpus.md lists them)")] = None,
    max_seconds: Annotated[float, typer.Option(help="longer clips are cut to this length")] = 4.0,
    mixtures: Annotated[int, typer.Option(min=0, help="procedural mixtures drawn from the other sources' clips (built last)")] = 5000,
) -> None:
    """Assemble OUT/metadata.csv (file_name,label,caption,source), 16 kHz FLAC clips and OUT/corpus_stats.json; missing sources are skipped and their `apt-get install` line printed."""
    from synthio.pretraining.corpus.base import build_corpus
    from synthio.pretraining.corpus.registry import all_sources

    chosen = all_sources(data_root, out, mixtures=mixtures)
    if sources is not None:
        names = _csv(sources, "--sources")
        if not names:
            _fail(ValueError(f"--sources is empty; name some of {', '.join(s.name for s in chosen)}, or leave the option out to build them all"))
        unknown = sorted(set(names) - {s.name for s in chosen})
        if unknown:
            _fail(ValueError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(s.name for s in chosen)}"))
        chosen = [s for s in chosen if s.name in names]
    path = build_corpus(chosen, out, max_seconds=max_seconds)
    console.print(f"wrote {path / 'metadata.csv'}")


pretrain_app = typer.Typer(help="Pretrain the embedded models on a corpus from `synthio corpus build`.", no_args_is_help=True)
app.add_typer(pretrain_app, name="pretrain")


@command(pretrain_app, "clap")
def pretrain_clap_command(
    corpus: Annotated[Path, typer.Option(help="corpus folder (metadata.csv with a caption column)")],
    out: Annotated[Path, typer.Option(help="run folder: checkpoint.pt, log.jsonl, model/ (rerun to resume)")],
    epochs: Annotated[int, typer.Option(help="passes over the corpus")] = 30,
    batch_size: Annotated[int, typer.Option(help="clips per contrastive batch")] = 128,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate (cosine decay)")] = 2e-3,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (bf16 autocast on CUDA)")] = "auto",
    holdout_fraction: Annotated[float, typer.Option(help="share of the clips never trained on (seeded); when > 0 the score sigmoid(exp(s) * cos + b) is calibrated on them and OUT/model/calibration.json written")] = 0.0,
) -> None:
    """Train the tiny CLAP's audio tower and projections against the frozen MiniLM text encoder."""
    from synthio.pretraining.clap import ClapTrainConfig, pretrain_clap

    path = pretrain_clap(corpus, out, ClapTrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed, device=device, holdout_fraction=holdout_fraction))
    console.print(f"wrote {path}")


@command(pretrain_app, "t2a")
def pretrain_t2a_command(
    out: Annotated[Path, typer.Option(help="run folder: features.npz, checkpoint.pt, log.jsonl, model/ (rerun to resume)")],
    corpus: Annotated[Optional[Path], typer.Option(help="corpus folder (metadata.csv with a caption column); not needed once OUT/features.npz exists")] = None,
    steps: Annotated[int, typer.Option(help="optimiser steps")] = 20000,
    batch_size: Annotated[int, typer.Option(help="clips per step")] = 32,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate (warm-up, cosine decay)")] = 3e-4,
    cfg_dropout: Annotated[float, typer.Option(help="probability of training a clip without its caption")] = 0.1,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (bf16 autocast on CUDA)")] = "auto",
    init: Annotated[Optional[str], typer.Option(help="start from this model folder (a run's OUT/model) instead of from scratch, keeping its mel statistics; `embedded` for the shipped model")] = None,
) -> None:
    """Train the tiny mel-space diffusion model conditioned on MiniLM token embeddings."""
    from synthio.errors import MissingFileError
    from synthio.pretraining.t2a import T2ATrainConfig, pretrain_t2a
    from synthio.weights import shipped

    start = shipped("tiny_t2a") if init == "embedded" else init
    if init == "embedded" and start is None:
        raise MissingFileError("--init embedded: this build ships no tiny T2A weights; give a model folder from `synthio pretrain t2a` (OUT/model)")
    path = pretrain_t2a(corpus, out, T2ATrainConfig(steps=steps, batch_size=batch_size, learning_rate=learning_rate, cfg_dropout=cfg_dropout, seed=seed, device=device), init=start)
    console.print(f"wrote {path}")


@command(pretrain_app, "vocoder")
def pretrain_vocoder_command(
    out: Annotated[Path, typer.Option(help="run folder: segments.npz, checkpoint.pt, log.jsonl, model/ (rerun to resume)")],
    corpus: Annotated[Optional[Path], typer.Option(help="corpus folder from `synthio corpus build`; not needed once OUT/segments.npz exists")] = None,
    steps: Annotated[int, typer.Option(help="optimiser steps")] = 20000,
    batch_size: Annotated[int, typer.Option(help="audio crops per step")] = 16,
    crop_seconds: Annotated[float, typer.Option(help="seconds of audio per crop")] = 1.0,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate (warm-up, cosine decay)")] = 5e-4,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
) -> None:
    """Train the tiny T2A's neural vocoder (log-mel -> STFT -> audio) to replace Griffin-Lim: use it with `t2a: {vocoder: OUT/model}`."""
    from synthio.pretraining.vocoder import VocoderTrainConfig, pretrain_vocoder

    path = pretrain_vocoder(corpus, out, VocoderTrainConfig(steps=steps, batch_size=batch_size, crop_seconds=crop_seconds, learning_rate=learning_rate, seed=seed, device=device))
    console.print(f"wrote {path}")


@command(config="synthio.align.run:AlignConfig", config_paths={"objective": "train.objective", "steps": "train.steps"})
def align(
    data_dir: DataDir = None,
    where: Where = None,
    n: FewShotN = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="split, loser and training seed")] = None,
    out: Annotated[Optional[Path], typer.Option(help="output folder: adapter.safetensors, align.json, pairs.jsonl, losers/, samples/")] = None,
    objective: Annotated[Optional[str], typer.Option(help="dpo (Diffusion-DPO) or erm (plain diffusion loss on the real clips, the ablation)")] = None,
    steps: Annotated[Optional[int], typer.Option(help="optimiser steps")] = None,
    config: ConfigFile = None,
    print_config: PrintConfig = False,
    skip_bad: SkipBad = False,
    force: Force = False,
) -> None:
    """Align the text-to-audio model to a few-shot split with Diffusion-DPO (or ERM) on LoRA.

    Writes OUT/adapter.safetensors and OUT/align.json (initial/final loss, implicit accuracy,
    Frechet distance to the real clips before and after, steps, seconds). Rerun to resume.
    """
    from synthio.align.dpo import leave_processes
    from synthio.align.run import AlignConfig, align_dataset
    from synthio.config import load_config

    overrides = dict(data_dir=data_dir, out=out, where=where, n=n, seed=seed, skip_bad=skip_bad or None)
    train_changes = {k: v for k, v in dict(objective=objective, steps=steps).items() if v is not None}
    if train_changes:
        overrides["train"] = {**load_config(AlignConfig, config, overrides).train.model_dump(), **train_changes}
    if print_config:
        return _print_config(AlignConfig, config, overrides)
    summary = align_dataset(load_config(AlignConfig, config, overrides), force=force)
    leave_processes()
    keys = ["objective", "initial_loss", "final_loss", "implicit_accuracy", "fd_before", "fd_after", "steps", "seconds"]
    console.print(json.dumps({k: summary[k] for k in keys}, indent=2), markup=False, highlight=False)


@command(config="synthio.pipeline:AugmentConfig")
def augment(
    data_dir: DataDir = None,
    where: Where = None,
    n: FewShotN = None,
    factor: Annotated[Optional[int], typer.Option(help="synthetic clips generated per real clip")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="split and generation seed")] = None,
    out: Annotated[Optional[Path], typer.Option(help="output audiofolder: metadata.csv, audio/, manifest.jsonl, run.json, work/")] = None,
    threshold: Annotated[Optional[str], typer.Option(help="keep a clip at or above this value of the filter rule (score: CLAP score in [0, 1]; margin: cosine margin in [-2, 2]), or auto (a percentile of the real clips' own values)")] = None,
    executor: Annotated[Optional[str], typer.Option(help="where generation and CLAP scoring run: local (this process) or ray (one model per actor on a Ray cluster; pip install 'synthio\\[ray]'; actor sizes: ray_* config keys)")] = None,
    ray_address: Annotated[Optional[str], typer.Option(help="executor ray: the cluster to join, auto (the one `ray start --head` runs here) or HOST:PORT; unset: $RAY_ADDRESS, else a cluster running here, else a new local Ray instance")] = None,
    no_verdict: Annotated[bool, typer.Option("--no-verdict", help="skip the closing verdict (the CNN trained with and without the kept clips, 2 x 3 trainings, tested on held-out real clips of the pool)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan (stages, clips, LLM calls, estimated seconds from a short timing probe, peak memory, disk) and write nothing")] = False,
    plan_json: Annotated[Optional[Path], typer.Option(help="with --dry-run: also write the plan to this JSON file")] = None,
    skip_bad: SkipBad = False,
    config: ConfigFile = None,
    print_config: PrintConfig = False,
    force: Force = False,
) -> None:
    """Make a few-shot split bigger: caption, align (DPO), MixCap, generate, CLAP-filter, self-reflect.

    OUT is an audiofolder of the kept synthetic clips; measure it with
    `synthio evaluate DATA_DIR ... --extra-train OUT`. Rerun the same command to resume
    (with either executor: a Ray run resumes a local one and back).
    """
    from synthio import api
    from synthio.pipeline import AugmentConfig

    try:
        parsed_threshold = threshold if threshold in (None, "auto") else float(threshold)
    except ValueError:
        _fail(ValueError(f"--threshold {threshold!r}: give a number such as 0.85, or auto"))
    overrides = dict(data_dir=data_dir, out=out, where=where, n=n, factor=factor, seed=seed, threshold=parsed_threshold, executor=executor, ray_address=ray_address, verdict=False if no_verdict else None, skip_bad=skip_bad or None)
    if print_config:
        return _print_config(AugmentConfig, config, overrides)
    if plan_json and not dry_run:
        _fail(ValueError(f"--plan-json {plan_json} is written by a dry run only: add --dry-run"))
    if plan_json and plan_json.exists():
        _fail(ValueError(f"--plan-json {plan_json} exists and is never overwritten: name a new file"))
    if dry_run:
        from synthio.config import load_config
        from synthio.plan import plan_augment, print_plan, write_plan_json

        plan = plan_augment(load_config(AugmentConfig, config, overrides), force=force)
        print_plan(plan)
        if plan_json:
            write_plan_json(plan, plan_json)
        return
    result = api.augment(**overrides, config=config, force=force)
    console.print(result.model_dump_json(include={"clips_real", "generated", "kept", "threshold", "rounds", "stage_seconds"}, indent=2), markup=False, highlight=False)
    console.print(f"wrote {result.metadata} (the kept clips, an audiofolder) and {result.manifest}")
    if result.verdict:
        console.print(f"verdict: {result.verdict['message']}", markup=False, highlight=False)


@command()
def generate(
    prompt: Annotated[str, typer.Option(help="text prompt, e.g. 'Sound of a dog_bark'")],
    out: Annotated[Path, typer.Option(help="folder for the clips and manifest.jsonl")],
    num: Annotated[int, typer.Option(min=1, help="number of clips")] = 4,
    seconds: Annotated[float, typer.Option(min=1e-3, help="clip length")] = 4.0,
    seed: Annotated[int, typer.Option(min=0, help="seed of the first clip; clip k uses seed + k")] = 0,
    steps: Annotated[int, typer.Option(min=1, help="sampler steps")] = 16,
    guidance: Annotated[float, typer.Option(help="classifier-free guidance scale")] = 5.0,
    model: Annotated[Optional[Path], typer.Option(help="a tiny-T2A model folder (default: the configured/embedded T2A)")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML with a t2a: backend section")] = None,
    force: Force = False,
) -> None:
    """Generate NUM clips for one prompt: OUT/clip_0000.wav, clip_0001.wav, ... and OUT/manifest.jsonl (one row per clip: prompt, seed, seconds)."""
    from synthio.backends import BackendsConfig, T2ASpec, load_t2a, t2a_record
    from synthio.t2a.clips import write_clips

    if not prompt.strip():
        _fail(ValueError("--prompt is empty: describe the sound, e.g. 'Sound of a dog_bark'"))
    if not math.isfinite(guidance):
        _fail(ValueError(f"--guidance {guidance}: give a finite number (5 is the default)"))
    if model and config:
        _fail(ValueError("--model and --config both name the T2A: give one"))
    spec = T2ASpec(path=model) if model else BackendsConfig.from_yaml(config).t2a
    rows = write_clips(load_t2a(spec), prompt, num, seconds, seed, steps, guidance, out, force=force, backend=t2a_record(spec))
    console.print(f"wrote {num} clip{'s' * (num != 1)} to {out} ({len(rows)} in its manifest)")


@command()
def zeroshot(
    data_dir: Annotated[Path, typer.Argument(help="audiofolder with metadata.csv")],
    out: Annotated[Path, typer.Option(help="folder for zeroshot.json")],
    where: Annotated[Optional[list[str]], typer.Option(help="rows to classify, COLUMN=V[,V2]; repeatable")] = None,
    clap: Annotated[Optional[Path], typer.Option(help="a tiny-CLAP model folder (default: the embedded one)")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML with a clap: backend section (instead of --clap)")] = None,
    skip_bad: SkipBad = False,
    force: Force = False,
) -> None:
    """Zero-shot accuracy with prompts "Sound of a {label}": writes OUT/zeroshot.json = {accuracy, per_class}."""
    from synthio.backends import BackendsConfig, load_clap, require_folder
    from synthio.clap.tiny import TinyClap
    from synthio.clap.zeroshot import zero_shot_folder

    if clap and config:
        _fail(ValueError("--clap and --config both name the CLAP: give one"))
    scorer = TinyClap.load(require_folder(clap, "config.json", "a tiny CLAP (save_tiny_clap)")) if clap else load_clap(BackendsConfig.from_yaml(config).clap)
    result = zero_shot_folder(scorer, data_dir, where, out, skip_bad, force=force)
    for problem in result["skipped"]:
        say("skipped", problem)
    console.print(f"zero-shot accuracy {result['accuracy']:.3f} on {result['num_clips']} clips ({scorer.name}); wrote {out / 'zeroshot.json'}")


@command()
def prepare(
    name: Annotated[Optional[str], typer.Argument(help="dataset recipe, e.g. esc50 (see --list)")] = None,
    src: Annotated[Optional[Path], typer.Argument(help="folder holding the official archive you downloaded, extracted")] = None,
    out: Annotated[Optional[Path], typer.Argument(help="audiofolder to write: metadata.csv + audio (rerun to resume)")] = None,
    list_recipes: Annotated[bool, typer.Option("--list", help="print every recipe: what to download, the layout SRC must have, its licence")] = False,
    force: Force = False,
    mixtures_per_fold: Annotated[Optional[int], typer.Option(help="us8k-mixtures: mixtures per fold (default: the fold's clip count)")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="us8k-mixtures: seed of the random draws (default 0)")] = None,
) -> None:
    """Turn one of the paper's ten datasets, downloaded and extracted by you, into an audiofolder (nothing is downloaded).

    Rerun the same command to resume; a finished run rewrites identical metadata.
    """
    from synthio.prepare import RECIPES, describe
    from synthio.prepare import prepare as prepare_dataset

    if list_recipes:
        typer.echo("\n\n".join(describe(recipe) for recipe in RECIPES.values()))
        return
    if name is None or src is None or out is None:
        raise SynthioError(f"give NAME SRC OUT (NAME one of: {', '.join(RECIPES)}), or --list to see what each dataset needs")
    path = prepare_dataset(name, src, out, force=force, mixtures_per_fold=mixtures_per_fold, seed=seed)
    console.print(f"wrote {path / 'metadata.csv'}")


@command()
def report(
    out: Annotated[Path, typer.Argument(help="a `synthio augment` output folder")],
    corpus: Annotated[Optional[Path], typer.Option(help="audiofolder also searched for each synthetic clip's nearest clip (e.g. the T2A's pretraining corpus)")] = None,
    data: Annotated[Optional[Path], typer.Option(help="the real data folder, if it moved since the run (default: run.json's config.data_dir)")] = None,
) -> None:
    """Write OUT/report/index.html: real and synthetic clips side by side (players, spectrograms, scores), and the data checks in OUT/quality.json.

    The page is static (no server, no network): open it from disk. Rerunning replaces OUT/report/.
    """
    from synthio.listening import write_report

    index = write_report(out, corpus=corpus, data_dir=data)
    console.print(f"wrote {index} (open it in a browser) and {out / 'quality.json'}")


@command()
def doctor(
    config: Annotated[Optional[Path], typer.Option(help="YAML with t2a/clap/llm/captioner/classifier sections (any augment, evaluate or align YAML; a key none of them reads is an error)")] = None,
    load: Annotated[bool, typer.Option("--load", help="build every configured backend (slow) instead of checking its files")] = False,
) -> None:
    """List every backend of every protocol: ready, unavailable (and why) or not configured (and the line that enables it).

    Exits 1 when a configured backend cannot be used.
    """
    from synthio.backends import (
        BackendsConfig,
        check_backends,
        environment,
        print_doctor,
    )

    settings = BackendsConfig.from_yaml(config)
    rows = check_backends(settings, load=load)
    print_doctor(rows, environment())
    if any(row.status == "unavailable" for row in rows):
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
