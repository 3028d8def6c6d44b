import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from synthio.align.dpo import AlignTrainConfig, anchored_dpo_loss, dpo_loss, implicit_preference, losses, measure, pair_draws, step_loss, train_alignment
from tests.align.helpers import small_t2a, toy_pairs

pytestmark = pytest.mark.filterwarnings("ignore")


def test_dpo_loss_exact_values():
    same = torch.tensor([0.3, 1.7])
    assert torch.allclose(dpo_loss(same, same * 2, same, same * 2, 2000.0), torch.full((2,), math.log(2)), atol=0)
    value = dpo_loss(torch.tensor([0.3]), torch.tensor([0.5]), torch.tensor([0.1]), torch.tensor([0.2]), beta=20.0)
    assert value.item() == pytest.approx(math.log1p(math.exp(-1.0)), abs=1e-7)
    assert implicit_preference(torch.tensor([0.3]), torch.tensor([0.5]), torch.tensor([0.1]), torch.tensor([0.2])).item()


def test_initial_loss_is_log_two_and_gradients_reach_only_lora():
    model = small_t2a()
    winners, losers, winner_of, prompts = toy_pairs(model)
    params = model.add_lora(rank=2)
    assert measure(model, winners, losers, winner_of, prompts, 2000.0, 0)["dpo_loss"] == pytest.approx(math.log(2), abs=1e-6)
    step_loss(model, winners, losers, winner_of, prompts, AlignTrainConfig(batch_size=4), 0, 0).backward()
    with_grad = {n for n, p in model.unet.named_parameters() if p.grad is not None}
    assert with_grad and all("lora_" in n for n in with_grad)
    assert all(p.grad is not None for p in params)


def test_training_moves_the_policy_and_leaves_the_reference_bit_identical(tmp_path):
    model = small_t2a()
    winners, losers, winner_of, prompts = toy_pairs(model)
    t, noise = torch.full((4,), 0.5), torch.randn((4, *losers.latents.shape[1:]), generator=torch.Generator().manual_seed(3))
    base = losses(model, winners, losers, winner_of, prompts, [0, 1, 2, 3], t, noise, reference=False)
    result = train_alignment(model, winners, losers, winner_of, prompts, AlignTrainConfig(steps=6, batch_size=4, learning_rate=1e-2, checkpoint_every=3), tmp_path)
    with model.reference():
        reference = losses(model, winners, losers, winner_of, prompts, [0, 1, 2, 3], t, noise, reference=False)
    policy = losses(model, winners, losers, winner_of, prompts, [0, 1, 2, 3], t, noise, reference=False)
    assert torch.equal(reference["policy_w"], base["policy_w"]) and torch.equal(reference["policy_l"], base["policy_l"])
    assert not torch.equal(policy["policy_w"], base["policy_w"])
    assert result["initial_loss"] == pytest.approx(math.log(2), abs=1e-6) and result["final_loss"] < result["initial_loss"]
    assert len(result["loss_curve"]) == 6 and json.loads((tmp_path / "train.json").read_text())["steps"] == 6


def test_alignment_resumes_from_its_checkpoint(tmp_path, capsys):
    config = AlignTrainConfig(steps=2, batch_size=4, checkpoint_every=1, ema_decay=0.5)
    model = small_t2a()
    first = train_alignment(model, *toy_pairs(model), config, tmp_path)
    model = small_t2a()
    again = train_alignment(model, *toy_pairs(model), config.model_copy(update={"steps": 3}), tmp_path)
    assert "resuming alignment after step 2" in capsys.readouterr().err.replace("\n", " ")
    assert again["loss_curve"][:2] == first["loss_curve"] and len(again["loss_curve"]) == 3


def test_erm_trains_on_winners_only(tmp_path):
    model = small_t2a()
    result = train_alignment(model, *toy_pairs(model), AlignTrainConfig(objective="erm", steps=4, batch_size=4, learning_rate=1e-2), tmp_path)
    assert result["final_loss"] < result["initial_loss"] and result["before"]["dpo_loss"] == pytest.approx(math.log(2), abs=1e-6)


def test_batch_must_split_evenly_over_processes():
    model = small_t2a()
    with pytest.raises(ValueError, match="split evenly"):
        step_loss(model, *toy_pairs(model), AlignTrainConfig(batch_size=3), 0, 0, process=0, processes=2)


@pytest.mark.slow
def test_two_processes_give_the_one_process_loss(tmp_path):
    script, root = Path(__file__).with_name("two_process.py"), Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    values = []
    for processes in (1, 2):
        out = tmp_path / f"{processes}.json"
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_port", str(29500 + processes), str(script), str(out)]
        result = subprocess.run(command, cwd=root, env=env, timeout=240, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        values.append(json.loads(out.read_text()))
    assert values[0]["processes"] == 1 and values[1]["processes"] == 2
    assert values[0]["loss"] == pytest.approx(values[1]["loss"], rel=1e-5)
    assert values[0]["grad_norm"] == pytest.approx(values[1]["grad_norm"], rel=1e-4)


def test_winner_anchored_dpo_adds_the_mean_winner_loss_exactly():
    parts = {"policy_w": torch.tensor([0.3, 0.9]), "policy_l": torch.tensor([0.5, 0.4]), "reference_w": torch.tensor([0.1, 0.7]), "reference_l": torch.tensor([0.2, 0.6])}
    plain = dpo_loss(parts["policy_w"], parts["policy_l"], parts["reference_w"], parts["reference_l"], 20.0).mean()
    assert torch.equal(anchored_dpo_loss(parts, 20.0, 0.0), plain)
    assert anchored_dpo_loss(parts, 20.0, 1.0).item() == pytest.approx(plain.item() + 0.6, abs=1e-7)
    assert anchored_dpo_loss(parts, 20.0, 2.5).item() == pytest.approx(plain.item() + 1.5, abs=1e-6)
    model = small_t2a()
    pairs = toy_pairs(model)
    model.add_lora(rank=2)
    config = AlignTrainConfig(batch_size=4)
    anchored = step_loss(model, *pairs, config.model_copy(update={"winner_loss_weight": 1.0}), 0, 0)
    draw, t, noise = pair_draws(0, 0, 4, tuple(pairs[1].latents.shape[1:]))
    winner_loss = losses(model, *pairs, (draw % len(pairs[2])).tolist(), t, noise, reference=False)["policy_w"].mean()
    assert anchored.item() == pytest.approx(step_loss(model, *pairs, config, 0, 0).item() + winner_loss.item(), rel=1e-6)


def test_validation_keeps_the_best_step_and_resumes_its_curve(tmp_path):
    config = AlignTrainConfig(steps=3, batch_size=4, learning_rate=1e-2, checkpoint_every=1)
    fds = {0: 5.0, 1: 3.0, 2: 3.0, 3: 4.0}
    called = []

    def validate(step):
        called.append(step)
        return fds[step]

    model = small_t2a()
    result = train_alignment(model, *toy_pairs(model), config.model_copy(update={"steps": 2}), tmp_path / "a", validate=validate, validate_every=1)
    assert result["validation"]["curve"] == [[0, 5.0], [1, 3.0], [2, 3.0]] and called == [0, 1, 2]
    model = small_t2a()
    result = train_alignment(model, *toy_pairs(model), config, tmp_path / "a", validate=validate, validate_every=1)
    assert called == [0, 1, 2, 3]
    assert result["validation"]["curve"] == [[0, 5.0], [1, 3.0], [2, 3.0], [3, 4.0]]
    assert (result["validation"]["best_step"], result["validation"]["best_fd"], result["validation"]["final_fd"]) == (1, 3.0, 4.0)
    one = small_t2a()
    train_alignment(one, *toy_pairs(one), config.model_copy(update={"steps": 1}), tmp_path / "b")
    kept, at_step_one = ([p for n, p in m.unet.named_parameters() if "lora_" in n] for m in (model, one))
    assert kept and len(kept) == len(at_step_one) and all(torch.equal(a, b) for a, b in zip(kept, at_step_one))
    final = torch.load(tmp_path / "a/checkpoint.pt", weights_only=True)
    assert final["step"] == 3 and final["best"]["step"] == 1 and not all(torch.equal(a, b) for a, b in zip(final["lora"], final["best"]["lora"]))
