"""Smoke-test the alignment path on whatever device torch sees (CUDA: bf16 autocast via accelerate).

Loads the shipped tiny T2A, times batched sampling, generates losers for 8 tone "winners" and runs
60 DPO steps; prints the initial loss next to log 2, the final loss and the seconds. The text
tower is MiniLM when installed; on a machine without it, pass ``--random-text TOKENIZER_DIR`` (a
folder with MiniLM's tokenizer files) to use a randomly initialised 1-layer BERT of MiniLM's width
instead: the check is about devices and dtypes, not about text.

Usage: python scripts/smoke_align_device.py [--random-text DIR]
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time

import numpy as np
import torch

from synthio.align.dpo import AlignTrainConfig, train_alignment
from synthio.t2a.tiny import TinyT2A
from synthio.text import MiniLMText
from synthio.weights import shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--random-text", default=None, help="tokenizer folder; use a random 1-layer BERT as the text tower")
    args = parser.parse_args()
    text = None
    if args.random_text:
        from transformers import BertConfig, BertModel

        folder = tempfile.mkdtemp()
        shutil.copytree(args.random_text, folder, dirs_exist_ok=True)
        torch.manual_seed(0)
        BertModel(BertConfig(hidden_size=384, num_hidden_layers=1, num_attention_heads=6, intermediate_size=512)).save_pretrained(folder)
        text = MiniLMText(folder)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print("device", device, torch.__version__, flush=True)
    t2a = TinyT2A.load(shipped("tiny_t2a"), device=device, text=text)
    prompts = [f"Sound of a tone {i}" for i in range(8)]
    t2a.sample(prompts[:2], [4.0, 4.0], 2, 5.0, [0, 1])
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.time()
    t2a.sample(prompts * 4, [4.0] * 32, 16, 5.0, list(range(32)))
    print(f"sampling: {(time.time() - started) / 32:.3f} s per 4-s clip, batch 32", flush=True)
    winners = [(0.3 * np.sin(2 * np.pi * (200 + 100 * i) * np.arange(64000) / 16000)).astype(np.float32) for i in range(8)]
    losers = t2a.sample([p for p in prompts for _ in range(2)], [4.0] * 16, 16, 5.0, list(range(100, 116)))
    encoded = t2a.encode(winners + losers, 16000)
    winner_of = [i for i in range(8) for _ in range(2)]
    result = train_alignment(
        t2a, encoded.select(list(range(8))), encoded.select(list(range(8, 24))), winner_of, [prompts[i] for i in winner_of],
        AlignTrainConfig(steps=60, batch_size=8, checkpoint_every=30), tempfile.mkdtemp(),
    )
    print(f"initial {result['initial_loss']:.9f} log2 {math.log(2):.9f} diff {abs(result['initial_loss'] - math.log(2)):.2e}")
    print(f"final {result['final_loss']:.4f} implicit {result['implicit_accuracy']:.3f} train {result['train_seconds']} s for 60 steps")
    print("lora device", next(p for n, p in t2a.unet.named_parameters() if "lora_" in n).device)


if __name__ == "__main__":
    main()
