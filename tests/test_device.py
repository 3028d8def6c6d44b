import torch

from synthio.device import default_dtype, resolve_device


def test_auto_picks_cuda_only_when_present_and_names_pass_through():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu" and resolve_device("cuda:1") == "cuda:1"


def test_cpu_loads_in_fp32():
    assert default_dtype("cpu") == torch.float32
