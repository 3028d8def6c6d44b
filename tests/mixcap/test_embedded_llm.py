"""The embedded SmolLM2-135M writes schema-valid MixCap JSON (prompt 1) with constrained decoding and retries."""

import pytest

from synthio.llm.local import embedded_llm
from synthio.llm.structured import StructuredOutputError, chat_json
from synthio.mixcap.schema import EventsScenes, extraction_messages

CAPTIONS = [
    "Sound of a dog bark: loud, muffled, with a few distinct onsets",
    "A siren wails as traffic passes in the city",
    "Children playing and shouting in a park",
    "Sound of a jackhammer: loud, steady, over a noisy background",
    "An engine idles while birds chirp",
    "Rain falls on a tin roof during a thunderstorm",
    "A man speaks while a car horn honks twice",
    "Street music with a guitar and people talking",
    "An air conditioner hums in a quiet office",
    "A drill whines intermittently at a construction site",
    "Gunshots echo in an open field",
    "Waves crash on the beach as seagulls cry",
    "A cat meows in a kitchen while water runs",
    "Footsteps on gravel and a door closes",
    "A baby cries while a television plays",
    "Wind blows through trees in a forest",
    "A bell rings in a church tower",
    "People clap and cheer in a stadium",
    "A train passes over a bridge with a whistle",
    "Keyboard typing and a phone ringing in an office",
]


@pytest.mark.slow
def test_at_least_18_of_20_calls_give_valid_events_and_scenes(tmp_path):
    try:
        llm = embedded_llm()
    except Exception as error:  # the wheel is part of the install; missing it is a failure, said plainly
        pytest.fail(f"embedded LLM unavailable: {error}")
    valid = 0
    for seed, caption in enumerate(CAPTIONS):
        try:
            chat_json(llm, extraction_messages(caption), EventsScenes, attempts=3, seed=seed)
            valid += 1
        except StructuredOutputError:
            pass
    assert valid >= 18, f"only {valid} of 20 replies were valid"
