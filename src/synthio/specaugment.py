"""SpecAugment: time and frequency masks drawn per batch, shared by classifier training and CLAP pretraining."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class SpecAugment:
    """SpecAugment (Park et al. 2019) masks on ``(batch, frames, bins)``: ``time_masks`` bands of up to
    ``max_time_fraction`` of the frames and ``freq_masks`` bands of up to ``max_freq_bins`` bins, set to 0.

    Apply it to normalised features, where 0 is the mean, so a mask removes information without
    adding an out-of-distribution value.
    """

    time_masks: int = 2
    max_time_fraction: float = 0.1
    freq_masks: int = 2
    max_freq_bins: int = 6

    def __call__(self, features: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, frames, bins = features.shape
        keep = torch.ones_like(features, dtype=torch.bool)
        time_index = torch.arange(frames, device=features.device)
        bin_index = torch.arange(bins, device=features.device)
        max_width = max(1, int(frames * self.max_time_fraction))
        for _ in range(self.time_masks):
            width = torch.randint(0, max_width + 1, (batch,), generator=generator).to(features.device)
            start = (torch.rand(batch, generator=generator).to(features.device) * (frames - width + 1)).long()
            keep &= ~((time_index[None] >= start[:, None]) & (time_index[None] < (start + width)[:, None]))[:, :, None]
        for _ in range(self.freq_masks):
            width = torch.randint(0, min(self.max_freq_bins, bins) + 1, (batch,), generator=generator).to(features.device)
            start = (torch.rand(batch, generator=generator).to(features.device) * (bins - width + 1)).long()
            keep &= ~((bin_index[None] >= start[:, None]) & (bin_index[None] < (start + width)[:, None]))[:, None, :]
        return features * keep
