import json

from synthio.mixcap.captions import Pool, extract_pools, revise_caption, write_captions
from tests.fakes import RamblingLLM, ScriptedLLM


def test_pools_are_per_label_without_duplicates():
    llm = ScriptedLLM()
    pools, failed = extract_pools(llm, ["a dog barks", "a dog barks again", "rain"], ["dog_bark", "dog_bark", "rain"])
    assert failed == 0
    assert pools["dog_bark"].events == ["wind 0", "people talking", "wind 1"] and pools["dog_bark"].scenes == ["park"]
    assert pools["rain"].events == ["wind 2", "people talking"] and llm.calls == 3


def test_captions_are_written_per_clip_and_contain_the_label():
    llm = ScriptedLLM()
    captions, repaired, failed, invalid = write_captions(llm, "dog_bark", Pool(["wind", "rain", "birds", "cars"], ["street"]), 5, seed=1)
    assert len(captions) == 5 and len({c.lower() for c in captions}) == 5
    assert all("dog bark" in c for c in captions) and repaired == failed == invalid == 0
    assert write_captions(ScriptedLLM(), "dog_bark", Pool(), 5, seed=1) == (captions, 0, 0, 0)


def test_revision_keeps_the_label():
    caption, repaired, failed = revise_caption(ScriptedLLM(), "dog bark, loud", "dog_bark", ["dog bark in a park"], seed=2)
    assert caption == "a clear dog bark, take 2, in a quiet room" and not repaired and not failed


def test_failed_calls_are_counted_and_fall_back_instead_of_stopping_the_run():
    llm = RamblingLLM()
    pools, failed = extract_pools(llm, ["a dog barks", "rain"], ["dog_bark", "rain"])
    assert failed == 2 and pools["dog_bark"] == Pool() and llm.calls == 2 * 3
    assert write_captions(llm, "dog_bark", Pool(), 3, seed=0) == (["Sound of a dog_bark"] * 3, 0, 4, 0)
    assert revise_caption(llm, "dog bark, loud", "dog_bark", [], seed=0) == ("dog bark, loud", False, True)


class NonsenseLLM(ScriptedLLM):
    """Valid JSON whose captions are unusable: non-words, an echo of the prompt, and one good caption."""

    def chat(self, messages, max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        self.calls += 1
        if '"captions"' in messages[-1]["content"]:
            return json.dumps({"captions": ["tone, Narrace: In mid-pitched, stage.", "Write 2 different captions of recordings", "a dog bark echoing in an empty hall"]})
        return json.dumps({"caption": "Qzxv blorp frindle dog bark"})


def test_unusable_captions_are_refused_counted_and_retried():
    captions, repaired, failed, invalid = write_captions(NonsenseLLM(), "dog_bark", Pool(), 2, seed=0)
    assert captions == ["a dog bark echoing in an empty hall"] * 2 and invalid == 2 * 4 and failed == 0
    assert revise_caption(NonsenseLLM(), "dog bark, loud", "dog_bark", [], seed=0) == ("dog bark, loud", False, True)
