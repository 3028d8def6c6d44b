"""Constrained decoding against the tiny random Llama of test_local: output must always parse."""

import json

import pytest
from pydantic import BaseModel

from synthio.llm.constrained import flat_fields
from synthio.llm.local import TransformersLLM
from synthio.llm.structured import chat_json
from tests.llm.test_local import tiny_lm_folder  # noqa: F401  (fixture)


class Shape(BaseModel):
    caption: str
    events: list[str]


def test_flat_fields():
    assert flat_fields(Shape) == {"caption": "str", "events": "list"}

    class Nested(BaseModel):
        inner: dict

    with pytest.raises(TypeError, match="str and list"):
        flat_fields(Nested)


def test_random_model_still_writes_parseable_json(tiny_lm_folder):  # noqa: F811
    llm = TransformersLLM(tiny_lm_folder)
    for seed in range(5):
        text = llm.chat_constrained([{"role": "user", "content": "hi dog"}], {"caption": "str", "events": "list"}, seed=seed)
        value = json.loads(text)
        assert set(value) == {"caption", "events"} and isinstance(value["events"], list) and 1 <= len(value["events"]) <= 5
    assert chat_json(llm, [{"role": "user", "content": "hi"}], Shape, attempts=3).events
