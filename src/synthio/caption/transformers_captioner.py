"""Any transformers audio-to-text (speech seq2seq) model from a local folder, e.g. a Whisper fine-tuned for captioning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from synthio.audio import resample
from synthio.errors import MissingFileError


class TransformersCaptioner:
    """``AutoModelForSpeechSeq2Seq`` + its feature extractor and tokenizer, loaded only from ``path``.

    Labels are ignored: the model hears the clip and writes. Audio is resampled to the feature
    extractor's rate at the boundary. Beam search is off by default (``num_beams=1``) for speed.
    """

    def __init__(self, path: str | Path, device: str = "cpu", max_new_tokens: int = 40, num_beams: int = 1, batch_size: int = 8):
        from transformers import (
            AutoFeatureExtractor,
            AutoModelForSpeechSeq2Seq,
            AutoTokenizer,
        )

        path = Path(path)
        if not (path / "config.json").is_file():
            raise MissingFileError(f"{path} is not a transformers model folder (no config.json); download the captioner once and pass its path")
        self.model = AutoModelForSpeechSeq2Seq.from_pretrained(path, local_files_only=True).to(device).eval()
        self.feature_extractor = AutoFeatureExtractor.from_pretrained(path, local_files_only=True)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.batch_size = batch_size
        self.name = f"transformers-captioner:{path.name}"
        self.model_sample_rate = int(self.feature_extractor.sampling_rate)

    @torch.no_grad()
    def caption(self, waveforms: list[np.ndarray], sample_rate: int, labels: list[str] | None = None) -> list[str]:
        captions = []
        for start in range(0, len(waveforms), self.batch_size):
            chunk = [resample(np.asarray(w, np.float32), sample_rate, self.model_sample_rate) for w in waveforms[start : start + self.batch_size]]
            inputs = self.feature_extractor(chunk, sampling_rate=self.model_sample_rate, return_tensors="pt").to(self.device)
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, num_beams=self.num_beams)
            captions += [text.strip() for text in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]
        return captions
