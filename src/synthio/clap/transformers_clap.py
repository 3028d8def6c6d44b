"""transformers ``ClapModel`` (e.g. ``laion/clap-htsat-unfused``) as an ``AudioTextScorer``, from a local folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synthio.audio import resample
from synthio.errors import MissingFileError


def _pooled(output) -> torch.Tensor:
    """transformers < 5 returns the projected tensor, >= 5 an output whose ``pooler_output`` holds it."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class TransformersClap:
    """A ``ClapModel`` plus its feature extractor and tokenizer; loads only from a local folder.

    The score uses the audio-side ``logit_scale_a`` (the scale CLAP trains audio-to-text logits
    with). Audio is resampled to the extractor's rate (48 kHz for the LAION checkpoints) here, so
    callers pass whatever rate they hold.
    """

    def __init__(self, model, feature_extractor, tokenizer, device: str = "cpu", name: str = "transformers-clap", batch_size: int = 16):
        self.model = model.to(device).eval()
        self.feature_extractor = feature_extractor
        self.tokenizer = tokenizer
        self.device = device
        self.name = name
        self.batch_size = batch_size
        self.model_sample_rate = int(feature_extractor.sampling_rate)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> TransformersClap:
        from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel

        path = Path(path)
        if not (path / "config.json").is_file():
            raise MissingFileError(f"{path} is not a ClapModel folder (no config.json); save laion/clap-htsat-unfused there once and pass the path")
        model = ClapModel.from_pretrained(path, local_files_only=True)
        extractor = ClapFeatureExtractor.from_pretrained(path, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        return cls(model, extractor, tokenizer, device=device, name=f"transformers-clap:{path.name}")

    @torch.no_grad()
    def embed_audio(self, waveforms: list[np.ndarray], sample_rate: int) -> torch.Tensor:
        out = []
        for start in range(0, len(waveforms), self.batch_size):
            chunk = [resample(np.asarray(w, dtype=np.float32), sample_rate, self.model_sample_rate) for w in waveforms[start : start + self.batch_size]]
            inputs = self.feature_extractor(chunk, sampling_rate=self.model_sample_rate, return_tensors="pt").to(self.device)
            out.append(_pooled(self.model.get_audio_features(**inputs)).float().cpu())
        return F.normalize(torch.cat(out), dim=-1)

    @torch.no_grad()
    def embed_text(self, texts: list[str]) -> torch.Tensor:
        out = []
        for start in range(0, len(texts), self.batch_size):
            inputs = self.tokenizer(texts[start : start + self.batch_size], padding=True, return_tensors="pt").to(self.device)
            out.append(_pooled(self.model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])).float().cpu())
        return F.normalize(torch.cat(out), dim=-1)

    def log_logit_scale(self) -> float:
        return float(self.model.logit_scale_a.detach())

    def logit_bias(self) -> float:
        return 0.0
