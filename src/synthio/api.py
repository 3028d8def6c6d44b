"""The Python API: ``synthio.pipeline``, ``synthio.evaluation`` and the backend loaders, for notebooks and scripts.

Each function takes the settings of its CLI command as keyword arguments (the YAML keys;
``--print-config`` lists them), validates them the same way (an unknown key is an error that
lists the valid ones) and returns the typed form of what the command writes (``run.json``,
``results.json``). The CLI is a thin layer over these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from synthio.backends import BackendsConfig


class RoundCounts(BaseModel):
    generated: int
    kept: int
    rejected: int


class AugmentResult(BaseModel):
    """``OUT/run.json`` of one ``augment`` run; ``out`` is an audiofolder of the kept clips (``metadata.csv`` + ``audio/``)."""

    model_config = ConfigDict(extra="allow")

    out: Path
    clips_real: int
    generated: int
    kept: int
    threshold: float | None
    threshold_rule: str
    rounds: dict[str, RoundCounts]
    real_scores: dict[str, Any]
    captions_repaired: int
    captions_refused: int = 0
    llm_failures: dict[str, int]
    stage_seconds: dict[str, float]
    models: dict[str, str | None]
    config: dict[str, Any]
    verdict: dict[str, Any] | None = None

    @property
    def metadata(self) -> Path:
        """The kept clips' ``metadata.csv`` (``file_name,label,caption,clap_score,round,parent_file``)."""
        return self.out / "metadata.csv"

    @property
    def manifest(self) -> Path:
        """Every clip ever generated, kept or not (``manifest.jsonl``)."""
        return self.out / "manifest.jsonl"


class Run(BaseModel):
    """One trained and tested classifier: a method at one n and seed."""

    model_config = ConfigDict(extra="allow")

    method: str
    n: int
    seed: int
    accuracy: float
    macro_f1: float
    seconds: float
    train_clips: int
    train_rows: int


class EvaluateResult(BaseModel):
    """``OUT/results.json`` of ``evaluate``: every run, the settings and the data it ran on."""

    model_config = ConfigDict(extra="allow")

    out: Path
    fingerprint: str
    config: dict[str, Any]
    data: dict[str, Any]
    runs: list[Run]

    def table(self, metric: str = "accuracy") -> dict[str, dict[int, tuple[float, float, int]]]:
        """``{method: {n: (mean %, std %, seeds)}}`` as in ``summary.md``."""
        from synthio.report import aggregate

        return aggregate([run.model_dump() for run in self.runs], metric)


def augment(
    data_dir: str | Path | None = None, *, out: str | Path | None = None, where: list[str] | None = None, n: int | None = None, factor: int | None = None, seed: int | None = None,
    config: str | Path | None = None, force: bool = False, **settings: Any,
) -> AugmentResult:
    """Run (or resume) ``synthio augment``: the few-shot split of ``data_dir`` selected by ``where`` made ``factor`` times bigger.

    Unset arguments come from the YAML ``config``, else the defaults (n = 50, factor = 4, seed = 0).
    """
    from synthio.config import load_config
    from synthio.pipeline import AugmentConfig, augment_dataset

    resolved = load_config(AugmentConfig, config, dict(settings, data_dir=data_dir, out=out, where=where, n=n, factor=factor, seed=seed))
    return AugmentResult.model_validate({**augment_dataset(resolved, force=force), "out": resolved.out})


def evaluate(
    data_dir: str | Path | None = None, *, out: str | Path | None = None, train_where: list[str] | None = None, test_where: list[str] | None = None,
    config: str | Path | None = None, force: bool = False, **settings: Any,
) -> EvaluateResult:
    """Run (or resume) ``synthio evaluate``: every method, n and seed not yet in ``OUT/results.json`` (unset arguments from ``config``)."""
    from synthio.config import load_config
    from synthio.evaluation import EvaluateConfig
    from synthio.evaluation import evaluate as run_evaluate

    resolved = load_config(EvaluateConfig, config, dict(settings, data_dir=data_dir, out=out, train_where=train_where, test_where=test_where))
    return EvaluateResult.model_validate({**run_evaluate(resolved, force=force), "out": resolved.out})


def backends(config: str | Path | dict | BackendsConfig | None = None) -> BackendsConfig:
    """The backend settings from a YAML path (its backend sections), a dict, a ``BackendsConfig`` or None (the embedded defaults)."""
    if isinstance(config, BackendsConfig):
        return config
    if isinstance(config, dict):
        from synthio.config import load_config

        return load_config(BackendsConfig, None, config)
    return BackendsConfig.from_yaml(config)


def load_t2a(config: str | Path | dict | BackendsConfig | None = None):
    """The configured ``TextToAudio`` (default: the embedded tiny T2A)."""
    from synthio.backends import load_t2a as load

    return load(backends(config).t2a)


def load_clap(config: str | Path | dict | BackendsConfig | None = None):
    """The configured ``AudioTextScorer`` (default: the embedded tiny CLAP)."""
    from synthio.backends import load_clap as load

    return load(backends(config).clap)


def load_llm(config: str | Path | dict | BackendsConfig | None = None):
    """The configured ``LLM`` (default: the embedded SmolLM2), with its response cache."""
    from synthio.backends import load_llm as load

    return load(backends(config).llm)
