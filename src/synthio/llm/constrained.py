"""Constrained decoding of flat JSON objects (string and list-of-string fields) for local causal LMs.

Small models (SmolLM2-135M) rarely write valid JSON on their own. Here the braces, keys, quotes
and commas are written by the decoder, and the model only chooses (a) the words inside each
string, from tokens that cannot break the JSON, and (b) whether a list goes on or closes, by
comparing its next-token probabilities for ``,`` and ``]``. The result always parses; whether
its content is good is still the model's doing. The context grows token by token through the
model's KV cache, so each token costs one incremental forward pass.
"""

from __future__ import annotations

import inspect
import json
from typing import get_args, get_origin

import torch
from pydantic import BaseModel

FORBIDDEN_IN_STRING = set('"{}[]\\\n\r\t')


def flat_fields(schema: type[BaseModel]) -> dict[str, str]:
    """``{field: "str" | "list"}`` for a schema whose fields are all ``str`` or ``list[str]``."""
    fields = {}
    for name, info in schema.model_fields.items():
        annotation = info.annotation
        if annotation is str:
            fields[name] = "str"
        elif get_origin(annotation) is list and get_args(annotation) == (str,):
            fields[name] = "list"
        else:
            raise TypeError(f"{schema.__name__}.{name}: constrained decoding supports str and list[str] fields only")
    return fields


class FlatJsonDecoder:
    """Decodes one JSON object field by field with a Hugging Face causal LM and its tokenizer."""

    def __init__(self, model, tokenizer, max_items: int = 5, max_string_tokens: int = 24):
        self.model = model
        self.tokenizer = tokenizer
        self.max_items = max_items
        self.max_string_tokens = max_string_tokens
        vocab_size = model.get_output_embeddings().weight.shape[0]
        special = set(tokenizer.all_special_ids)
        texts = [tokenizer.decode([i]) if i < len(tokenizer) and i not in special else "" for i in range(vocab_size)]
        self.texts = texts
        self.content = torch.tensor([bool(t) and not (set(t) & FORBIDDEN_IN_STRING) for t in texts])
        self.closing = torch.tensor([t.startswith('"') or (bool(t) and '"' in t and not (set(t.split('"')[0]) & FORBIDDEN_IN_STRING)) for t in texts])
        self.comma = torch.tensor([t.strip().startswith(",") for t in texts])
        self.bracket = torch.tensor([t.strip().startswith("]") for t in texts])
        self.cache_argument = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    @torch.no_grad()
    def _feed(self, state: dict, ids: list[int]) -> None:
        """Append tokens to the context, extending the KV cache, and keep the next-token logits."""
        if not ids:
            return
        input_ids = torch.tensor([ids], dtype=torch.long, device=self.model.device)
        out = self.model(input_ids=input_ids, use_cache=True, **({self.cache_argument: state["past"]} if "past" in state else {}))
        state["past"], state["logits"] = out[self.cache_argument], out.logits[0, -1].float().cpu()

    def _force(self, state: dict, text: str) -> None:
        self._feed(state, self.tokenizer.encode(text, add_special_tokens=False))

    def _string(self, state: dict, temperature: float, generator: torch.Generator, repetition_penalty: float) -> str:
        """Sample the inside of a JSON string (the opening quote is already in the context); close it."""
        text = ""
        seen: list[int] = []
        for _ in range(self.max_string_tokens):
            logits = state["logits"].clone()
            if seen:
                index = torch.tensor(seen)
                logits[index] = torch.where(logits[index] > 0, logits[index] / repetition_penalty, logits[index] * repetition_penalty)
            allowed = self.content | (self.closing if text.strip() else torch.zeros_like(self.closing))
            logits = logits.masked_fill(~allowed, float("-inf"))
            if temperature > 0:
                token = int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator))
            else:
                token = int(logits.argmax())
            piece = self.texts[token]
            if self.closing[token] and not self.content[token]:
                before = piece.split('"')[0]
                self._force(state, before + '"')
                return " ".join((text + before).split())
            text += piece
            seen.append(token)
            self._feed(state, [token])
        self._force(state, '"')
        return " ".join(text.split())

    def _continues(self, state: dict) -> bool:
        probs = torch.softmax(state["logits"], -1)
        return bool(probs[self.comma].sum() > probs[self.bracket].sum())

    def decode(self, prompt_ids: torch.Tensor, fields: dict[str, str], temperature: float = 0.7, seed: int = 0, repetition_penalty: float = 1.3) -> str:
        """The JSON text of one object with ``fields`` (``{"name": "str" | "list"}``), generated after ``prompt_ids``."""
        generator = torch.Generator().manual_seed(seed)
        state: dict = {}
        self._feed(state, [int(i) for i in prompt_ids])
        value: dict[str, object] = {}
        for k, (name, kind) in enumerate(fields.items()):
            self._force(state, ("{" if k == 0 else ", ") + json.dumps(name) + ": " + ("[" if kind == "list" else "") + '"')
            if kind == "str":
                value[name] = self._string(state, temperature, generator, repetition_penalty)
                continue
            items: list[str] = []
            while True:
                items.append(self._string(state, temperature, generator, repetition_penalty))
                if len(items) == self.max_items or not self._continues(state):
                    break
                self._force(state, ', "')
            self._force(state, "]")
            value[name] = items
        return json.dumps(value)
