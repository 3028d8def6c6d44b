"""Deterministic stand-ins for slow backends, used where a test is about the pipeline, not the model."""

from __future__ import annotations

import json


class ScriptedLLM:
    """Answers MixCap's three prompts with valid JSON that depends on the prompt and seed (``supports_constrained`` is False)."""

    name = "scripted"

    def __init__(self):
        self.calls = 0

    def chat(self, messages, max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        self.calls += 1
        prompt = messages[-1]["content"]
        if '"events"' in prompt:
            return json.dumps({"events": [f"wind {seed % 3}", "people talking"], "scenes": ["park"]})
        if '"captions"' in prompt:
            label = prompt.split('recordings of "')[1].split('"')[0]
            return json.dumps({"captions": [f"{label} with wind {seed % 5} and people talking, take {k}" for k in range(3)]})
        label = prompt.split('did not sound like "')[1].split('"')[0]
        return json.dumps({"caption": f"a clear {label}, take {seed}, in a quiet room"})  # every 5 words hold the seed: no echo of an earlier revision


class RamblingLLM(ScriptedLLM):
    """Valid JSON shape, invalid content: a 12-word phrase for every prompt (as the embedded 135M model sometimes writes)."""

    def chat(self, messages, max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        self.calls += 1
        phrase = "a long rambling phrase that goes on and on well past eight words"
        return json.dumps({"events": [phrase], "scenes": [], "captions": [], "caption": ""})
