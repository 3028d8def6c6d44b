import pytest
import torch

from synthio.device import default_dtype, resolve_device
from synthio.errors import SynthioError


def test_auto_picks_cuda_only_when_present_and_names_pass_through():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    if torch.cuda.is_available():
        assert resolve_device("cuda:1") == "cuda:1"
    else:
        with pytest.raises(SynthioError, match="sees no CUDA GPU.*use cpu or auto"):
            resolve_device("cuda:1")


def test_an_unknown_device_is_refused_with_the_names_that_work():
    with pytest.raises(SynthioError, match="'tpu': use auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")


def test_cpu_loads_in_fp32():
    assert default_dtype("cpu") == torch.float32
