"""Run by test_dpo under ``torchrun`` (what ``accelerate launch`` starts; the Accelerator reads its environment): one DPO step's loss and LoRA gradient norm, written by the main process.

beta = 1: the release's beta = 2000 multiplies the float32 rounding of the per-item losses
(which depends on how the batch is split) by 1000, enough to move the loss in its 4th digit.
"""

import json
import sys

import torch
from accelerate import Accelerator

from synthio.align.dpo import AlignTrainConfig, leave_processes, step_loss
from tests.align.helpers import small_t2a, toy_pairs

accelerator = Accelerator(cpu=True)
model = small_t2a()
pairs = toy_pairs(model)
params = model.add_lora(rank=2)
with torch.no_grad():
    for i, p in enumerate(params):
        p.add_(0.01 * (i + 1))
loss = step_loss(model, *pairs, AlignTrainConfig(batch_size=4, beta=1.0), 0, 0, accelerator.process_index, accelerator.num_processes)
loss.backward()
reduced = accelerator.reduce(loss.detach(), "mean")
grads = [accelerator.reduce(p.grad, "mean") for p in params]
if accelerator.is_main_process:
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    with open(sys.argv[1], "w") as f:
        json.dump({"loss": float(reduced), "grad_norm": float(norm), "processes": accelerator.num_processes}, f)
leave_processes()
