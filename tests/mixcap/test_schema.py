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


def test_label_repair_puts_the_label_in_front_only_when_missing():
    from synthio.mixcap.schema import with_label

    assert with_label("A dog bark echoes  in a hall", "dog_bark") == ("A dog bark echoes in a hall", False)
    assert with_label("rain on a roof,", "dog_bark") == ("dog bark, rain on a roof", True)
    assert with_label("", "siren") == ("Sound of a siren", True)


def test_new_captions_and_revision_limit_length():
    from synthio.mixcap.schema import NewCaptions, Revision, reflection_messages, writing_messages

    assert NewCaptions(captions=[" a  dog bark ", ""]).captions == ["a dog bark"]
    with pytest.raises(ValueError, match="more than 25 words"):
        NewCaptions(captions=["word " * 26])
    with pytest.raises(ValueError, match="at least one"):
        NewCaptions(captions=["  "])
    with pytest.raises(ValueError, match="must not be empty"):
        Revision(caption=" ")
    assert '"captions"' in writing_messages("dog_bark", ["rain"], [], 4)[-1]["content"] and "dog bark" in writing_messages("dog_bark", [], [], 4)[-1]["content"]
    prompt = reflection_messages("dog bark, loud", "dog_bark", ["dog bark in a park"])[-1]["content"]
    assert "dog bark, loud" in prompt and "dog bark in a park" in prompt and '"caption"' in prompt


def test_removing_the_label_may_leave_no_event():
    found = EventsScenes(events=["dog bark"], scenes=[]).without_label("dog_bark")
    assert found.events == [] and found.scenes == []
