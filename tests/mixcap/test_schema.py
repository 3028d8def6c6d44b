import pytest
from pydantic import ValidationError

from synthio.mixcap.schema import EventsScenes, extraction_messages


def test_cleaning_and_label_removal():
    value = EventsScenes(events=[" dog  barking.", "Dog barking", "siren"], scenes=["street,"])
    assert value.events == ["dog barking", "siren"] and value.scenes == ["street"]
    assert EventsScenes(events=["siren", "a siren", "rain"], scenes=[]).without_label("siren").events == ["rain"]


@pytest.mark.parametrize(
    "bad",
    [{"events": []}, {"events": [""]}, {"events": ["x"], "mood": "happy"}, {"events": "dog"}, {"events": ["one two three four five six seven eight nine"]}],
)
def test_rejects_what_would_poison_the_pool(bad):
    with pytest.raises(ValidationError):
        EventsScenes.model_validate(bad)


def test_prompt_states_the_shape_and_ends_with_the_caption():
    messages = extraction_messages("A cat meows")
    assert '"events"' in messages[1]["content"] and messages[-1]["content"].endswith("Caption: A cat meows")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
