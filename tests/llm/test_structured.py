import pytest
from pydantic import BaseModel

from synthio.llm.structured import extract_json, parse_reply


class Pair(BaseModel):
    events: list[str]
    scenes: list[str]


def test_extract_json_skips_chatter_and_fences():
    assert extract_json('ok {"a": [1, 2]} trailing') == {"a": [1, 2]}
    assert extract_json('```json\n[{"x": 1}]\n```') == [{"x": 1}]
    assert extract_json('{broken {"b": 2}') == {"b": 2}
    with pytest.raises(ValueError, match="no JSON"):
        extract_json("no json here")


def test_parse_reply_validates():
    assert parse_reply('{"events": ["bark"], "scenes": []}', Pair).events == ["bark"]
    with pytest.raises(ValueError, match="schema"):
        parse_reply('{"events": "bark"}', Pair)
