"""A small convolutional audio encoder on normalised log-mels, sized for two CPU cores."""

from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Sequential):
    """Two 3x3 conv + BatchNorm + ReLU layers, then 2x2 average pooling."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        )


class ConvEncoder(nn.Module):
    """``(batch, frames, bins)`` normalised log-mels -> ``(batch, embedding_dim)``.

    Pooling is mean over time of the max over frequency, so the encoder accepts any clip length
    (at least ``2 ** len(channels)`` frames). It is the backbone of the embedded classifier and
    can be swapped for a pretrained encoder with the same signature.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128), dropout: float = 0.2):
        super().__init__()
        blocks, previous = [], 1
        for width in channels:
            blocks.append(ConvBlock(previous, width))
            previous = width
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout)
        self.embedding_dim = previous

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.blocks(features.transpose(1, 2).unsqueeze(1))
        return self.dropout(x.amax(dim=2).mean(dim=2))
