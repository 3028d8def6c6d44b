"""Classifiers behind one trainer: the embedded log-mel CNN and transformers' AST.

Every classifier is an ``nn.Module`` with the same small surface, so the trainer never asks
which one it holds:

- ``sample_rate``: the rate its ``featurize`` expects;
- ``featurize(waveforms)``: ``(batch, num_samples)`` float tensor -> ``(batch, frames, bins)``;
- ``fit_normalization(features)``: learn input statistics from training features (or no-op);
- ``prepare(features)``: normalised features, where augmentations such as SpecAugment act;
- ``forward(prepared)`` -> ``(batch, num_labels)`` logits;
- ``default_learning_rate``: a sensible rate for fine-tuning it;
- ``starts_trained``: whether it predicts before any step (only then is its start a candidate for
  the best-on-validation checkpoint: a random head that happens to score well on a small
  validation carve-out must not be kept).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthio.audio import LogMel
from synthio.config import ConfigError
from synthio.errors import MissingFileError
from synthio.models.cnn import ConvEncoder


@runtime_checkable
class Classifier(Protocol):
    sample_rate: int
    labels: list[str]
    default_learning_rate: float
    starts_trained: bool

    def featurize(self, waveforms: torch.Tensor) -> torch.Tensor: ...

    def fit_normalization(self, features: torch.Tensor) -> None: ...

    def prepare(self, features: torch.Tensor) -> torch.Tensor: ...

    def __call__(self, features: torch.Tensor) -> torch.Tensor: ...


class CNNClassifier(nn.Module):
    """The embedded default: log-mels, per-bin normalisation from training data, ConvEncoder, linear head.

    Normalisation statistics are buffers fitted on the training features (``fit_normalization``),
    never hard-coded; forgetting to fit them raises instead of training on raw log-mels.
    """

    default_learning_rate = 3e-3
    starts_trained = False

    def __init__(
        self,
        labels: list[str],
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 512,
        n_mels: int = 40,
        channels: tuple[int, ...] = (16, 32, 64, 128),
        dropout: float = 0.2,
        encoder: nn.Module | None = None,
    ):
        super().__init__()
        self.labels = list(labels)
        self.sample_rate = sample_rate
        self.logmel = LogMel(sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
        self.encoder = encoder if encoder is not None else ConvEncoder(channels, dropout)
        self.head = nn.Linear(self.encoder.embedding_dim, len(labels))
        self.register_buffer("feature_mean", torch.zeros(n_mels))
        self.register_buffer("feature_std", torch.zeros(n_mels))

    @torch.no_grad()
    def featurize(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.logmel(waveforms.to(self.feature_mean.device))

    @torch.no_grad()
    def fit_normalization(self, features: torch.Tensor) -> None:
        """Per-bin mean and std over every frame of the training features."""
        flat = features.reshape(-1, features.shape[-1]).float()
        self.feature_mean.copy_(flat.mean(0))
        self.feature_std.copy_(flat.std(0).clamp_min(1e-5))

    def prepare(self, features: torch.Tensor) -> torch.Tensor:
        """Features as the trainer's augmentations should see them (normalised, 0 = mean)."""
        if not bool((self.feature_std > 0).all()):
            raise RuntimeError("CNNClassifier: call fit_normalization(train_features) before training or inference")
        return (features - self.feature_mean) / self.feature_std

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(features))


class PretrainedCNNClassifier(CNNClassifier):
    """The embedded CNN with its encoder starting as the tiny CLAP's audio encoder, fine-tuned end to end.

    Nobody trains a classifier from scratch on 50 clips: this is the fine-tuning users do (the paper
    fine-tunes an AudioSet AST), at the embedded scale. The encoder was pretrained on the corpus's
    captions (``synthio pretrain clap``), so its log-mel settings and input statistics are the
    CLAP's and stay fixed: refitting them on 50 clips would move every input the encoder learned
    from. Only the head is new. Unlike ``clap-probe``, every weight trains (BatchNorm included);
    the trainer's best-on-validation checkpoint is what stops it forgetting.
    """

    default_learning_rate = 1e-3

    def __init__(self, labels: list[str], audio):
        config = audio.config
        super().__init__(labels, config.sample_rate, config.n_fft, config.hop_length, config.n_mels, encoder=copy.deepcopy(audio.encoder))
        with torch.no_grad():
            self.feature_mean.copy_(audio.feature_mean)
            self.feature_std.copy_(audio.feature_std)

    @classmethod
    def from_folder(cls, labels: list[str], folder: str | Path | None = None) -> PretrainedCNNClassifier:
        """From a ``synthio pretrain clap`` model folder, or the shipped tower (tiny CLAP v1)."""
        from synthio.clap.tiny import load_tiny_clap_audio

        return cls(labels, load_tiny_clap_audio(tiny_clap_folder(folder, "cnn-pretrained")))

    def fit_normalization(self, features: torch.Tensor) -> None:
        """No-op: the statistics are the corpus's, which the encoder was pretrained with."""


TOWER = "tiny_clap_v1"
"""The shipped CLAP whose audio tower the classifiers start from: v1, which their measured tables used (the embedded scorer moved on to v2)."""


def tiny_clap_folder(folder: str | Path | None, classifier: str) -> Path:
    """``folder``, or the shipped tower :data:`TOWER` when it is None; raises naming the fix when it holds no weights."""
    from synthio.weights import shipped

    folder = Path(folder) if folder is not None else shipped(TOWER)
    if folder is None or not (Path(folder) / "model.safetensors").is_file():
        raise MissingFileError(f"--classifier {classifier}: no tiny-CLAP weights in {folder}; pass --classifier-path (YAML: classifier: {{path: ...}}) with a folder from `synthio pretrain clap`")
    return Path(folder)


class ClapProbeClassifier(nn.Module):
    """A probe on the tiny CLAP whose head starts as its zero-shot classifier.

    The audio tower, its projection and its feature statistics stay frozen as pretrained (in eval
    mode, so BatchNorm keeps its statistics: naive fine-tuning on 50 clips forgets). The head's
    rows start as the text embeddings of "Sound of a {label}" and the scale as the CLAP's logit
    scale, so before any step the classifier *is* zero-shot CLAP; training adapts the rows.
    """

    default_learning_rate = 1e-3
    starts_trained = True

    def __init__(self, clap, labels: list[str]):
        from synthio.clap.base import template_prompt

        super().__init__()
        self.labels = list(labels)
        self.audio = clap.audio.requires_grad_(False).eval()
        self.sample_rate = self.audio.config.sample_rate
        self.head = nn.Parameter(clap.embed_text([template_prompt(label) for label in labels]).clone())
        self.bias = nn.Parameter(torch.zeros(len(labels)))
        self.register_buffer("scale", self.audio.logit_scale.detach().exp().clamp(max=100.0))

    @classmethod
    def from_folder(cls, labels: list[str], folder: str | Path | None = None) -> ClapProbeClassifier:
        """From a ``synthio pretrain clap`` model folder, or the shipped tower (tiny CLAP v1)."""
        from synthio.clap.tiny import TinyClap

        return cls(TinyClap.load(tiny_clap_folder(folder, "clap-probe")), labels)

    def train(self, mode: bool = True) -> ClapProbeClassifier:
        super().train(mode)
        self.audio.eval()
        return self

    @torch.no_grad()
    def featurize(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.audio.logmel(waveforms.to(self.scale.device))

    def fit_normalization(self, features: torch.Tensor) -> None:
        """No-op: the statistics are the corpus's, which the tower was trained with."""

    def prepare(self, features: torch.Tensor) -> torch.Tensor:
        return (features - self.audio.feature_mean) / self.audio.feature_std

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        embedding = self.audio.audio_embedding(features)
        return self.scale * embedding @ F.normalize(self.head, dim=-1).T + self.bias


class ASTClassifier(nn.Module):
    """transformers ``ASTForAudioClassification`` with its own ``ASTFeatureExtractor``.

    The extractor's fbank (Kaldi-style, numpy) and its normalisation constants come from the
    checkpoint's ``preprocessor_config.json``; the input is padded or cut to its ``max_length``
    frames (1024 = 10.24 s for the AudioSet checkpoints). Loading never downloads: pass a local
    folder. AST is too slow to fine-tune on a laptop CPU; use it on a GPU.
    """

    default_learning_rate = 5e-5
    starts_trained = False

    def __init__(self, model: nn.Module, extractor, labels: list[str]):
        super().__init__()
        self.model = model
        self.extractor = extractor
        self.labels = list(labels)
        self.sample_rate = int(extractor.sampling_rate)

    @classmethod
    def from_pretrained(cls, path: str | Path, labels: list[str]) -> ASTClassifier:
        """Fine-tune from a local checkpoint folder; a new head replaces the checkpoint's."""
        from transformers import ASTFeatureExtractor, ASTForAudioClassification

        path = Path(path)
        if not (path / "config.json").is_file():
            raise MissingFileError(f"{path} is not a transformers checkpoint folder (no config.json); download it once and pass its local path")
        model = ASTForAudioClassification.from_pretrained(
            path,
            local_files_only=True,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            ignore_mismatched_sizes=True,
        )
        extractor = ASTFeatureExtractor.from_pretrained(path, local_files_only=True) if (path / "preprocessor_config.json").is_file() else ASTFeatureExtractor()
        return cls(model, extractor, labels)

    @classmethod
    def from_config(cls, config, labels: list[str], extractor=None) -> ASTClassifier:
        """A randomly initialised AST (``ASTConfig`` or a path to its config.json)."""
        from transformers import (
            ASTConfig,
            ASTFeatureExtractor,
            ASTForAudioClassification,
        )

        if not isinstance(config, ASTConfig):
            config = ASTConfig.from_json_file(str(config))
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
        if extractor is None:
            extractor = ASTFeatureExtractor(num_mel_bins=config.num_mel_bins, max_length=config.max_length)
        return cls(ASTForAudioClassification(config), extractor, labels)

    @torch.no_grad()
    def featurize(self, waveforms: torch.Tensor) -> torch.Tensor:
        arrays = [np.asarray(w, dtype=np.float32) for w in waveforms.cpu().numpy()]
        inputs = self.extractor(arrays, sampling_rate=self.sample_rate, return_tensors="pt")
        return inputs["input_values"]

    def fit_normalization(self, features: torch.Tensor) -> None:
        """No-op: AST uses its extractor's normalisation, which its weights were trained with."""

    def prepare(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model(input_values=features).logits


CLASSIFIERS = ("cnn", "cnn-pretrained", "clap-probe", "ast")


def build_classifier(name: str, labels: list[str], sample_rate: int = 16000, path: str | Path | None = None) -> nn.Module:
    """``cnn`` (embedded, from scratch), ``cnn-pretrained`` (the same CNN fine-tuned from the tiny CLAP's audio encoder),
    ``clap-probe`` (linear probe on the tiny CLAP's audio tower; for both, ``path`` = a ``synthio pretrain clap`` model
    folder, default the shipped one) or ``ast`` (``path`` = a checkpoint folder or config.json)."""
    if name == "cnn":
        return CNNClassifier(labels, sample_rate=sample_rate)
    if name == "cnn-pretrained":
        return PretrainedCNNClassifier.from_folder(labels, path)
    if name == "clap-probe":
        return ClapProbeClassifier.from_folder(labels, path)
    if name == "ast":
        if path is None:
            raise ConfigError("--classifier ast needs --classifier-path: a local AST checkpoint folder or an ASTConfig config.json")
        path = Path(path)
        if path.is_file():
            return ASTClassifier.from_config(path, labels)
        return ASTClassifier.from_pretrained(path, labels)
    raise ConfigError(f"unknown classifier {name!r}; choose {', '.join(CLASSIFIERS[:-1])} or {CLASSIFIERS[-1]}")
