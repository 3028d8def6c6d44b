import torch

from synthio.models.cnn import ConvEncoder


def test_encoder_accepts_any_length_and_gives_fixed_embedding():
    encoder = ConvEncoder(channels=(4, 8), dropout=0.0).eval()
    for frames in (16, 37):
        assert encoder(torch.randn(2, frames, 12)).shape == (2, 8)
    assert encoder.embedding_dim == 8
