from synthio.mixcap.captions import Pool, extract_pools, revise_caption, write_captions
from tests.fakes import ScriptedLLM


def test_pools_are_per_label_without_duplicates():
    llm = ScriptedLLM()
    pools = extract_pools(llm, ["a dog barks", "a dog barks again", "rain"], ["dog_bark", "dog_bark", "rain"])
    assert pools["dog_bark"].events == ["wind 0", "people talking", "wind 1"] and pools["dog_bark"].scenes == ["park"]
    assert pools["rain"].events == ["wind 2", "people talking"] and llm.calls == 3


def test_captions_are_written_per_clip_and_contain_the_label():
    llm = ScriptedLLM()
    captions, repaired = write_captions(llm, "dog_bark", Pool(["wind", "rain", "birds", "cars"], ["street"]), 5, seed=1)
    assert len(captions) == 5 and len({c.lower() for c in captions}) == 5
    assert all("dog bark" in c for c in captions) and repaired == 0
    assert write_captions(ScriptedLLM(), "dog_bark", Pool(), 5, seed=1) == (captions, 0)


def test_revision_keeps_the_label():
    caption, repaired = revise_caption(ScriptedLLM(), "dog bark, loud", "dog_bark", ["dog bark in a park"], seed=2)
    assert caption == "a clear dog bark in a quiet room, version 2" and not repaired
