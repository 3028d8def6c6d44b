"""Constrained decoding of flat JSON objects (string and list-of-string fields) for local causal LMs.

Small models (SmolLM2-135M) rarely write valid JSON on their own. Here the braces, keys, quotes
and commas are written by the decoder, and the model only chooses (a) the words inside each
string, from tokens that cannot break the JSON, and (b) whether a list goes on or closes, by
comparing its next-token probabilities for ``,`` and ``]``. The result always parses; whether
its content is good is still the model's doing.
"""

from __future__ import annotations

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

    @torch.no_grad()
    def _next_logits(self, prompt_ids: torch.Tensor, prefix: str) -> torch.Tensor:
        ids = torch.cat([prompt_ids, torch.tensor(self.tokenizer.encode(prefix, add_special_tokens=False), dtype=torch.long)])
        return self.model(input_ids=ids[None].to(self.model.device)).logits[0, -1].float().cpu()

    def _string(self, prompt_ids: torch.Tensor, prefix: str, temperature: float, generator: torch.Generator, repetition_penalty: float) -> str:
        text = ""
        seen: list[int] = []
        for step in range(self.max_string_tokens):
            logits = self._next_logits(prompt_ids, prefix + text)
            if seen:
                penalty = torch.zeros_like(logits)
                penalty[torch.tensor(seen)] = 1.0
                logits = torch.where(penalty > 0, torch.where(logits > 0, logits / repetition_penalty, logits * repetition_penalty), logits)
            allowed = self.content | (self.closing if text.strip() else torch.zeros_like(self.closing))
            logits = logits.masked_fill(~allowed, float("-inf"))
            if temperature > 0:
                token = int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator))
            else:
                token = int(logits.argmax())
            piece = self.texts[token]
            if self.closing[token] and not self.content[token]:
                text += piece.split('"')[0]
                break
            text += piece
            seen.append(token)
        return " ".join(text.split())

    def _continues(self, prompt_ids: torch.Tensor, prefix: str) -> bool:
        probs = torch.softmax(self._next_logits(prompt_ids, prefix), -1)
        return bool(probs[self.comma].sum() > probs[self.bracket].sum())

    def decode(self, prompt_ids: torch.Tensor, fields: dict[str, str], temperature: float = 0.7, seed: int = 0, repetition_penalty: float = 1.3) -> str:
        """The JSON text of one object with ``fields`` (``{"name": "str" | "list"}``), generated after ``prompt_ids``."""
        generator = torch.Generator().manual_seed(seed)
        value: dict[str, object] = {}
        prefix = "{"
        for k, (name, kind) in enumerate(fields.items()):
            prefix += ("" if k == 0 else ", ") + json.dumps(name) + ": "
            if kind == "str":
                value[name] = self._string(prompt_ids, prefix + '"', temperature, generator, repetition_penalty)
                prefix += json.dumps(value[name])
                continue
            items: list[str] = []
            prefix += "["
            while len(items) < self.max_items:
                item = self._string(prompt_ids, prefix + '"', temperature, generator, repetition_penalty)
                items.append(item)
                prefix += json.dumps(item)
                if len(items) == self.max_items or not self._continues(prompt_ids, prefix):
                    break
                prefix += ", "
            prefix += "]"
            value[name] = items
        return json.dumps(value)
