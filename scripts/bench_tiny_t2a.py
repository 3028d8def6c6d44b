"""Print the tiny T2A's cost on this machine: seconds per training step, per generated 4-s clip, and per word-length clip.

Word-length clips (0.3-0.9 s, all durations different, like spoken digits) are timed twice in
the same run: as one call, where clips of one latent length share a batch, and one call per clip
(what clips of distinct durations cost when only equal durations were batched).

Usage: python scripts/bench_tiny_t2a.py   (random weights: cost does not depend on training)
"""

import time

import torch

from synthio.t2a.tiny import TinyT2A, TinyT2AConfig


def main() -> None:
    model = TinyT2A(TinyT2AConfig())
    params = sum(p.numel() for p in model.unet.parameters())
    optimizer = torch.optim.AdamW(model.unet.parameters(), 3e-4)
    frames = model.frames_for(4.0)
    x0, cond = torch.randn(32, 1, model.config.n_mels, frames), torch.randn(32, model.config.max_text_tokens, model.config.text_dim)
    model.unet.train()
    for i in range(6):
        if i == 1:
            started = time.time()
        loss = model.v_loss(x0, cond, torch.rand(32), torch.randn_like(x0)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    step = (time.time() - started) / 5
    model.unet.eval()
    started = time.time()
    model.sample(["Sound of a dog_bark"] * 16, [4.0] * 16, 16, 5.0, list(range(16)))
    per_clip = (time.time() - started) / 16
    seconds = [0.3 + 0.6 * k / 31 for k in range(32)]
    started = time.time()
    model.sample(["Sound of a 3"] * 32, seconds, 16, 5.0, list(range(32)))
    batched = (time.time() - started) / 32
    started = time.time()
    for k, s in enumerate(seconds):
        model.sample(["Sound of a 3"], [s], 16, 5.0, [k])
    alone = (time.time() - started) / 32
    print(f"UNet {params / 1e6:.2f} M parameters, {torch.get_num_threads()} threads")
    print(f"training: {step:.2f} s per step of 32 clips (4 s each)")
    print(f"sampling: {per_clip:.2f} s per 4-s clip (batch 16, 16 DDIM steps, guidance 5, Griffin-Lim {model.config.griffin_lim_iterations} iterations)")
    print(f"word-length clips (0.3-0.9 s, 32 durations): {batched:.3f} s per clip batched by latent length, {alone:.3f} s one call per clip ({alone / batched:.1f}x)")


if __name__ == "__main__":
    main()
