"""One config selects every backend by name and path; loaders build them; ``doctor`` says what is usable.

```yaml
t2a: {backend: stable-audio, path: models/stable-audio-open-1.0}
clap: {backend: transformers, path: models/clap-htsat-unfused}
llm: {backend: openai, model: gpt-4o-mini, api_key_env: OPENAI_API_KEY}
captioner: {backend: embedded}
classifier: {backend: ast, path: models/ast-finetuned-audioset-10-10-0.4593}
```

Nothing is downloaded: every ``path`` is a local folder (or file) the user saved once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, Field, field_serializer, model_validator

from synthio.device import resolve_device
from synthio.errors import MissingFileError, SynthioError
from synthio.llm.openai_compat import redact_url
from synthio.progress import console, say
from synthio.train.classifiers import CLASSIFIERS
from synthio.weights import shipped


class BackendUnavailable(SynthioError, RuntimeError):
    """A configured backend that cannot be built here; the message says why and what to change."""


class LocalModelSpec(BaseModel):
    """A backend loaded from a local folder (``path``) onto a device; ``embedded`` loads the shipped weights, or a folder its ``synthio pretrain`` command wrote when ``path`` is set."""

    backend: str = "embedded"
    path: Path | None = Field(None, description="local model folder (never downloaded)")
    device: str = Field("auto", description="auto, cpu or cuda")


class T2ASpec(LocalModelSpec):
    backend: Literal["embedded", "stable-audio", "audioldm2"] = "embedded"
    sampler: str | None = Field(None, description="stable-audio: dpmpp-2m-sde (the checkpoint's own), dpmpp-2m-sde-karras, dpmpp-1-sde; audioldm2 and embedded: ddim (their own), dpmpp-2m, unipc; unset: the checkpoint's scheduler")
    steps: int | None = Field(None, ge=1, description="stable-audio / audioldm2: sampler steps of every call, replacing sample_steps (e.g. 100 for Stable Audio Open, whose release samples 250)")
    vocoder: str | None = Field(None, description="embedded: griffin-lim, or a `synthio pretrain vocoder` model folder; unset: the shipped vocoder when this build has one, else griffin-lim")

    @model_validator(mode="after")
    def _sampler_and_steps_of_the_backend(self) -> T2ASpec:
        """A sampler the backend has and ``steps`` only where the backend reads it, refused as the settings are read (not after the models load)."""
        from synthio.t2a.base import UNET_SAMPLERS
        from synthio.t2a.stable_audio import SAMPLERS

        names = list(SAMPLERS if self.backend == "stable-audio" else UNET_SAMPLERS)
        if self.sampler is not None and self.sampler not in names:
            raise ValueError(f"sampler {self.sampler!r} is not one of {self.backend}'s: {', '.join(names)} (or leave it out for the model's own)")
        if self.steps is not None and self.backend == "embedded":
            raise ValueError("steps is a setting of stable-audio and audioldm2; the embedded T2A takes sample_steps (augment, align) or --steps (generate)")
        return self


class ClapSpec(LocalModelSpec):
    backend: Literal["embedded", "transformers"] = "embedded"


class LLMSpec(BaseModel):
    backend: Literal["embedded", "openai", "transformers"] = "embedded"
    model: str | None = Field(None, description="openai: model name at the endpoint")
    base_url: str | None = Field(None, description="openai: endpoint, e.g. http://localhost:8000/v1 for vLLM; credentials in it are written as *** to config.json/run.json")
    api_key_env: str = "OPENAI_API_KEY"
    timeout_seconds: float = Field(30.0, gt=0, description="openai: seconds each attempt waits for an answer")
    max_retries: int = Field(2, ge=0, description="openai: retries after a timeout, connection error, 429 or 5xx; a call waits at most about timeout_seconds x (max_retries + 1)")
    path: Path | None = Field(None, description="transformers: local model folder")
    gguf_file: str | None = Field(None, description="transformers: GGUF file inside path")
    cache_dir: Path | None = Field(Path(".synthio-cache/llm"), description="replies cached here; null disables")
    device: str = "auto"

    @field_serializer("base_url", when_used="json-unless-none")
    def _redact_base_url(self, base_url: str) -> str:
        """Written configs (config.json, run.json) hold the URL without its credentials; the live value keeps them."""
        return redact_url(base_url)


class CaptionerSpec(LocalModelSpec):
    backend: Literal["embedded", "transformers"] = "embedded"


class ClassifierSpec(BaseModel):
    backend: Literal[CLASSIFIERS] = "cnn"
    path: Path | None = None


class AlignBackends(BaseModel):
    """The backends alignment needs (the sections ``t2a:`` and ``clap:`` of a YAML)."""

    t2a: T2ASpec = Field(default_factory=T2ASpec)
    clap: ClapSpec = Field(default_factory=ClapSpec)

    def embedded_weights(self) -> dict[str, str | None]:
        """The embedded models these settings load, by content (``weights_digest``): an upgrade that ships new weights changes it, where the settings stay the same."""
        weights = t2a_weights(self.t2a)
        if self.clap.backend == "embedded":
            weights["clap"] = weights_digest(self.clap.path or shipped("tiny_clap"))
        return weights

    def output_settings(self, exclude: dict | None = None) -> dict:
        """The settings' own record plus ``weights``: a folder begun with one release's embedded models is never resumed with another's."""
        return super().output_settings(exclude) | {"weights": self.embedded_weights()}

    def added_later(self) -> dict:
        """Backend settings an older version's folder may lack while they resolve to what came before: the checkpoint's sampler and steps, Griffin-Lim, the weights of the release before the weights were recorded."""
        unset = {name for name in ("sampler", "steps") if getattr(self.t2a, name) is None}
        griffin_lim = self.t2a.backend != "embedded" or vocoder_folder(self.t2a.vocoder) is None
        unchanged = all(WEIGHTS_BEFORE_RECORDED.get(name) == digest for name, digest in self.embedded_weights().items())
        return {"t2a": unset | ({"vocoder"} if griffin_lim else set()), **({"weights": True} if unchanged else {})}


class PipelineBackends(AlignBackends):
    """The backends ``synthio augment`` needs: alignment's plus ``llm:`` and ``captioner:``."""

    llm: LLMSpec = Field(default_factory=LLMSpec)
    captioner: CaptionerSpec = Field(default_factory=CaptionerSpec)


class BackendsConfig(PipelineBackends):
    """The backend of each protocol; every default is the embedded, offline one."""

    classifier: ClassifierSpec = Field(default_factory=ClassifierSpec)

    @classmethod
    def from_yaml(cls, path: str | Path | None) -> BackendsConfig:
        """The backend sections of any Synthio YAML (an ``augment`` config too); a top-level key that no Synthio command reads (a typo such as ``tt2a``) is an error."""
        import yaml

        from synthio.align.run import AlignConfig
        from synthio.config import ConfigError, load_config
        from synthio.evaluation import EvaluateConfig
        from synthio.pipeline import AugmentConfig

        try:
            values = (yaml.safe_load(Path(path).read_text()) if path is not None and Path(path).is_file() else None) or {}
        except yaml.YAMLError:
            values = {}  # load_config says what is wrong with the file
        evaluate_form = isinstance(values, dict) and isinstance(values.get("classifier"), str)  # evaluate's classifier: NAME with classifier_path: PATH
        config = load_config(cls, path, {"classifier": {"backend": values["classifier"], "path": values.get("classifier_path")}} if evaluate_form else None, sections_only=True)
        if path is not None:
            known = {name for model in (cls, AugmentConfig, EvaluateConfig, AlignConfig) for name in model.model_fields}
            unknown = sorted(set(values) - known)
            if unknown:
                raise ConfigError(f"{path}: no Synthio command reads {', '.join(map(repr, unknown))}; the backend sections are {', '.join(cls.model_fields)}")
        return config


EXAMPLE_LINES = {
    ("t2a", "stable-audio"): "t2a: {backend: stable-audio, path: PATH/stable-audio-open-1.0}",
    ("t2a", "audioldm2"): "t2a: {backend: audioldm2, path: PATH/audioldm2}",
    ("clap", "transformers"): "clap: {backend: transformers, path: PATH/clap-htsat-unfused}",
    ("llm", "openai"): "llm: {backend: openai, model: MODEL, base_url: URL, api_key_env: OPENAI_API_KEY}",
    ("llm", "transformers"): "llm: {backend: transformers, path: PATH/model-folder}",
    ("captioner", "transformers"): "captioner: {backend: transformers, path: PATH/audio-captioning-model}",
    ("classifier", "ast"): "classifier: ast and classifier_path: PATH/ast-finetuned-audioset-10-10-0.4593 (evaluate's keys)",
}


def require_folder(path: Path | None, marker: str, what: str) -> Path:
    """``path`` when it is a folder holding ``marker``, else ``BackendUnavailable`` saying what to put there."""
    if path is None:
        raise BackendUnavailable(f"{what} needs `path:` (a local folder holding {marker})")
    path = Path(path)
    if not path.exists():
        raise BackendUnavailable(f"{path} does not exist; give the local folder that holds {what}")
    if not path.is_dir():
        raise BackendUnavailable(f"{path} is a file, not a folder; give the folder that holds {what} ({marker} and its weights)")
    if not (path / marker).exists():
        raise BackendUnavailable(f"{path} has no {marker}, so it does not hold {what}: save one there (e.g. save_pretrained) or point at the folder that holds it")
    return path


WEIGHTS_BEFORE_RECORDED = {"t2a": "772d5201eb7d63ee", "vocoder": "griffin-lim", "clap": "a3cb8377e05c396b"}  # the shipped T2A v1 and CLAP v2, which folders of earlier versions were made with


def weights_digest(folder: str | Path | None) -> str | None:
    """A short SHA-256 over a model folder's ``*.safetensors`` and ``*.json`` (weights, configuration, calibration), or None when there is none."""
    files = sorted(p for pattern in ("*.safetensors", "*.json") for p in Path(folder).glob(pattern) if p.is_file()) if folder is not None else []
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def t2a_weights(spec: T2ASpec) -> dict[str, str | None]:
    """The embedded T2A's and vocoder's ``weights_digest`` (empty for another backend)."""
    if spec.backend != "embedded":
        return {}
    folder = vocoder_folder(spec.vocoder)
    return {"t2a": weights_digest(spec.path or shipped("tiny_t2a")), "vocoder": "griffin-lim" if folder is None else weights_digest(folder)}


def t2a_record(spec: T2ASpec) -> dict:
    """What fixes a T2A's clips besides the call's arguments, for an output folder's record: its settings (not the device) and its embedded weights."""
    return {"t2a": spec.model_dump(mode="json", exclude={"device"}), "weights": t2a_weights(spec)}


def embedded_folder(spec: LocalModelSpec, shipped_name: str, what: str) -> Path | None:
    """The weights an embedded section loads: its ``path`` (refused without ``config.json``), else the shipped ``shipped_name`` (None when this build lacks it)."""
    return require_folder(spec.path, "config.json", what) if spec.path is not None else shipped(shipped_name)


def load_t2a(spec: T2ASpec):
    """Build the configured ``TextToAudio``."""
    if spec.backend != "embedded" and spec.vocoder is not None:
        raise BackendUnavailable(f"t2a vocoder is a setting of the embedded T2A; {spec.backend} decodes with its own")
    if spec.backend == "stable-audio":
        from synthio.t2a.stable_audio import StableAudioT2A

        return StableAudioT2A.from_pretrained(require_folder(spec.path, "model_index.json", "a StableAudioPipeline"), device=resolve_device(spec.device), sampler=spec.sampler, steps=spec.steps)
    if spec.backend == "audioldm2":
        from synthio.t2a.audioldm2 import AudioLDM2T2A

        return AudioLDM2T2A.from_pretrained(require_folder(spec.path, "model_index.json", "an AudioLDM2Pipeline"), device=resolve_device(spec.device), sampler=spec.sampler, steps=spec.steps)
    from synthio.t2a.tiny import TinyT2A

    folder = embedded_folder(spec, "tiny_t2a", "a tiny-T2A model (`synthio pretrain t2a` OUT/model)")
    if folder is None:
        raise BackendUnavailable("the embedded text-to-audio weights are not in this build; configure `t2a: {backend: stable-audio, path: ...}`")
    model = TinyT2A.load(folder, device=resolve_device(spec.device))
    if spec.sampler is not None:
        model.set_sampler(spec.sampler)
    if spec.path is not None:
        model.name = f"{model.name}@{folder}"
    model.set_vocoder(load_vocoder(spec.vocoder))
    return model


def vocoder_folder(vocoder: str | None) -> Path | None:
    """The folder a ``t2a.vocoder`` setting names: None for Griffin-Lim (``griffin-lim``, or unset in a build that ships no vocoder)."""
    if vocoder == "griffin-lim":
        return None
    return shipped("tiny_vocoder") if vocoder is None else Path(vocoder)


def load_vocoder(vocoder: str | None):
    """The embedded T2A's vocoder (``vocoder_folder``), or None for Griffin-Lim."""
    from synthio.t2a.vocoder import MelVocoder

    folder = vocoder_folder(vocoder)
    if folder is None:
        return None
    if not (folder / "model.safetensors").is_file():
        raise BackendUnavailable(f"t2a vocoder {vocoder}: no model.safetensors there; give griffin-lim or a folder from `synthio pretrain vocoder`")
    return MelVocoder.load(folder)


def load_clap(spec: ClapSpec):
    """Build the configured ``AudioTextScorer``."""
    if spec.backend == "transformers":
        from synthio.clap.transformers_clap import TransformersClap

        return TransformersClap.from_pretrained(require_folder(spec.path, "config.json", "a ClapModel"), device=resolve_device(spec.device))
    from synthio.clap.tiny import TinyClap

    folder = embedded_folder(spec, "tiny_clap", "a tiny CLAP (`synthio pretrain clap` OUT/model)")
    if folder is None:
        raise BackendUnavailable("the embedded CLAP weights are not in this build; configure `clap: {backend: transformers, path: ...}`")
    try:
        scorer = TinyClap.load(folder, device=resolve_device(spec.device))
    except FileNotFoundError as error:
        raise BackendUnavailable(str(error)) from None
    if spec.path is not None:
        scorer.name = f"{scorer.name}@{folder}"
    return scorer


def load_llm(spec: LLMSpec):
    """Build the configured ``LLM``, wrapped in the on-disk reply cache unless ``cache_dir`` is null."""
    from synthio.llm.cache import CachedLLM
    from synthio.llm.local import TransformersLLM, embedded_llm

    if spec.backend == "openai":
        llm = _openai_llm(spec)
    elif spec.backend == "transformers":
        marker = spec.gguf_file or "config.json"
        llm = TransformersLLM(require_folder(spec.path, marker, "a causal LM"), gguf_file=spec.gguf_file, device=resolve_device(spec.device))
    else:
        from synthio.llm.base import LLMError

        try:
            llm = embedded_llm(device=resolve_device(spec.device))
        except LLMError as error:
            raise BackendUnavailable(str(error)) from None
    return CachedLLM(llm, spec.cache_dir) if spec.cache_dir is not None else llm


def _openai_llm(spec: LLMSpec):
    """The ``OpenAICompatibleLLM`` the spec describes (nothing connects)."""
    from synthio.llm.openai_compat import OpenAICompatibleLLM

    if not spec.model:
        raise BackendUnavailable("llm backend openai needs `model:` (the model name the endpoint serves)")
    return OpenAICompatibleLLM(
        model=spec.model, base_url=spec.base_url, api_key_env=spec.api_key_env, require_key=spec.base_url is None,
        timeout_seconds=spec.timeout_seconds, max_retries=spec.max_retries,
    )


DOCTOR_TIMEOUT_SECONDS = 5.0


def _check_openai(spec: LLMSpec) -> str:
    """Ask ``base_url`` for its models (at most 5 s, or ``timeout_seconds`` if shorter); the OpenAI API itself is not contacted, only its key variable checked."""
    from synthio.llm.base import LLMError

    llm = _openai_llm(spec)
    if spec.base_url is None:
        if os.environ.get(spec.api_key_env) is None:
            raise BackendUnavailable(f"environment variable {spec.api_key_env} is not set; export it with your OpenAI API key")
        return f"{spec.model} at the OpenAI API (key in ${spec.api_key_env}; not contacted: doctor contacts only a configured base_url)"
    try:
        answer = llm.check(timeout_seconds=min(DOCTOR_TIMEOUT_SECONDS, spec.timeout_seconds))
    except LLMError as error:
        raise BackendUnavailable(str(error)) from None
    return f"{spec.model} at {llm.where} answered GET /models; {answer}"


def preflight_llm(spec: LLMSpec) -> None:
    """Before the slow stages, ask a configured ``base_url`` whether it is there: an endpoint that cannot be reached fails the run now, not after the alignment.

    Only an unreachable endpoint fails (a server without GET /models may still chat: any other
    answer is a warning); the OpenAI API itself is not contacted, as in ``doctor``.
    """
    from synthio.llm.base import LLMError, LLMUnreachable

    if spec.backend != "openai" or spec.base_url is None:
        return
    try:
        _openai_llm(spec).check(timeout_seconds=min(DOCTOR_TIMEOUT_SECONDS, spec.timeout_seconds))
    except LLMUnreachable as error:
        raise LLMUnreachable(f"{error}; start the server or fix llm.base_url (`synthio doctor --config ...` checks it), then rerun") from None
    except LLMError as error:
        say("warning:", f"{error}; going on: the captions stage will ask it to chat")


def load_captioner(spec: CaptionerSpec):
    """Build the configured ``Captioner``."""
    if spec.backend == "transformers":
        from synthio.caption.transformers_captioner import TransformersCaptioner

        return TransformersCaptioner(require_folder(spec.path, "config.json", "a speech-seq2seq captioner"), device=resolve_device(spec.device))
    from synthio.caption.base import DescriptorCaptioner

    return DescriptorCaptioner()


def load_classifier_check(spec: ClassifierSpec) -> str:
    """Classifiers are built per run (they need the labels); here only their weights are checked."""
    if spec.backend == "ast":
        path = Path(spec.path) if spec.path else None
        if path is not None and path.is_file():
            return f"AST from config {path}"
        return f"AST checkpoint {require_folder(path, 'config.json', 'an ASTForAudioClassification checkpoint')}"
    if spec.backend in ("clap-probe", "cnn-pretrained"):
        from synthio.train.classifiers import tiny_clap_folder

        try:
            folder = tiny_clap_folder(spec.path, spec.backend)
        except MissingFileError as error:
            raise BackendUnavailable(str(error)) from None
        return f"{'probe on' if spec.backend == 'clap-probe' else 'CNN fine-tuned from'} the tiny CLAP tower in {folder}"
    return "embedded CNN (trained per run, no weights needed)"


LOADERS = {"t2a": load_t2a, "clap": load_clap, "llm": load_llm, "captioner": load_captioner, "classifier": load_classifier_check}
ALL_BACKENDS = {
    "t2a": ["embedded", "stable-audio", "audioldm2"],
    "clap": ["embedded", "transformers"],
    "llm": ["embedded", "openai", "transformers"],
    "captioner": ["embedded", "transformers"],
    "classifier": list(CLASSIFIERS),
}


@dataclass
class DoctorRow:
    protocol: str
    backend: str
    status: str
    detail: str


def check_backends(config: BackendsConfig, load: bool = False) -> list[DoctorRow]:
    """One row per protocol and backend: the configured one is built (``load``) or its files checked (an openai endpoint is asked for its models); the others listed."""
    rows = []
    for protocol, backends in ALL_BACKENDS.items():
        spec = getattr(config, protocol)
        for backend in backends:
            if backend != spec.backend:
                line = EXAMPLE_LINES.get((protocol, backend), f"classifier: {backend}" if protocol == "classifier" else f"{protocol}: {{backend: {backend}}}")
                rows.append(DoctorRow(protocol, backend, "not configured", f"enable with: {line}"))
                continue
            try:
                if protocol == "llm" and backend == "openai":
                    detail = _check_openai(spec)
                elif load:
                    built = LOADERS[protocol](spec)
                    detail = built if isinstance(built, str) else f"loaded {getattr(built, 'name', type(built).__name__)}"
                else:
                    detail = _check_files(protocol, spec)
                rows.append(DoctorRow(protocol, backend, "ready", detail))
            except (BackendUnavailable, FileNotFoundError, OSError, ValueError) as error:
                rows.append(DoctorRow(protocol, backend, "unavailable", str(error)))
    return rows


def _check_files(protocol: str, spec) -> str:
    """What loading would read, without reading it (loading a real model can take minutes)."""
    if protocol == "classifier":
        return load_classifier_check(spec)
    if protocol == "captioner" and spec.backend == "embedded":
        return "descriptor captioner (label + measured acoustic descriptors; no weights)"
    if protocol == "llm" and spec.backend == "embedded":
        from synthio.llm.base import LLMError
        from synthio.llm.local import smollm2_gguf_path

        try:
            path = smollm2_gguf_path()
        except LLMError as error:
            raise BackendUnavailable(str(error)) from None
        return f"SmolLM2-135M-Instruct Q4_1 at {path} ({path.stat().st_size / 1e6:.0f} MB)"
    if spec.backend == "embedded":
        from synthio.weights import WEIGHTS

        name = LOADERS[protocol](spec).name
        return name if spec.path is not None else f"{name}, weights in {WEIGHTS}"
    marker = "model_index.json" if protocol == "t2a" else (spec.gguf_file or "config.json") if protocol == "llm" else "config.json"
    return f"weights found at {require_folder(spec.path, marker, protocol + ' weights')}"


def environment() -> dict[str, str]:
    """Device, dtype and library versions."""
    info = {"device": "cuda: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"}
    info["dtype"] = "bf16/fp16 on CUDA" if torch.cuda.is_available() else "fp32"
    for package in ("torch", "transformers", "diffusers", "peft", "openai", "audiomentations", "soundfile", "soxr"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[package] = "not installed"
    return info


def print_doctor(rows: list[DoctorRow], env: dict[str, str]) -> None:
    from rich.table import Table

    table = Table(title="Synthio backends")
    for column in ("protocol", "backend", "status", "detail"):
        table.add_column(column, overflow="fold")
    colours = {"ready": "green", "unavailable": "red", "not configured": "dim"}
    for row in rows:
        table.add_row(row.protocol, row.backend, f"[{colours[row.status]}]{row.status}[/]", row.detail)
    console.print(table)
    console.print("  ".join(f"{k}: {v}" for k, v in env.items()))
