import math

import pytest
import torch

from synthio.clap.base import clap_score, template_prompt


def test_score_formula_exact_values():
    a = torch.tensor([[1.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    t = torch.tensor([[2.0, 0.0], [4.0, -3.0], [-1.0, 0.0]])
    scores = clap_score(a, t, math.log(10.0))
    expected = torch.tensor([1 / (1 + math.exp(-10.0)), 0.5, 1 / (1 + math.exp(10.0))])
    assert torch.allclose(scores, expected, atol=1e-7)


def test_score_rejects_unpaired_shapes():
    with pytest.raises(ValueError, match="paired"):
        clap_score(torch.zeros(2, 3), torch.zeros(3, 3), 0.0)


def test_template_prompt():
    assert template_prompt("dog_bark") == "Sound of a dog_bark"
