"""A tiny TinyT2A (real MiniLM text tower, random UNet) and toy pairs for the alignment tests."""

from __future__ import annotations

import numpy as np
import torch

from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
from synthio.text import shared_text_encoder

SMALL = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)


def small_t2a(seed: int = 0) -> TinyT2A:
    torch.manual_seed(seed)
    return TinyT2A(SMALL, text=shared_text_encoder())


def toy_pairs(model: TinyT2A, count: int = 4, k: int = 2):
    """Encoded winners (tones) and losers (noise), ``winner_of`` and prompts for ``count * k`` pairs."""
    rng = np.random.default_rng(0)
    winners = [np.sin(np.arange(6000) * (0.05 + 0.02 * i)).astype(np.float32) * 0.5 for i in range(count)]
    losers = [rng.standard_normal(6000).astype(np.float32) * 0.1 for _ in range(count * k)]
    encoded = model.encode(winners + losers, model.sample_rate)
    winner_of = [i for i in range(count) for _ in range(k)]
    prompts = [f"Sound of a tone {i}" for i in winner_of]
    return encoded.select(list(range(count))), encoded.select(list(range(count, count + count * k))), winner_of, prompts
