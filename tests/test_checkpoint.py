import torch

from synthio.checkpoint import load_checkpoint, save_checkpoint


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "checkpoint.pt"
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"lora": [torch.ones(2)], "ema": None, "step": 3, "history": [0.5]})
    state = load_checkpoint(path)
    assert state["step"] == 3 and state["ema"] is None and state["history"] == [0.5] and torch.equal(state["lora"][0], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
