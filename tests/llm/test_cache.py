from synthio.llm.cache import CachedLLM


class Counting:
    name = "counting"

    def __init__(self):
        self.calls = 0

    def chat(self, messages, max_tokens=256, temperature=0.7, seed=0):
        self.calls += 1
        return f"reply {self.calls}"


def test_second_identical_call_is_free_and_survives_a_new_wrapper(tmp_path):
    inner = Counting()
    llm = CachedLLM(inner, tmp_path)
    m = [{"role": "user", "content": "héllo"}]
    assert llm.chat(m, seed=1) == "reply 1"
    assert llm.chat(m, seed=1) == "reply 1"
    assert llm.chat(m, seed=2) == "reply 2"
    assert CachedLLM(inner, tmp_path).chat(m, seed=1) == "reply 1"
    assert inner.calls == 2 and llm.hits == 1 and llm.misses == 2


def test_corrupt_cache_entry_is_recomputed(tmp_path):
    inner = Counting()
    llm = CachedLLM(inner, tmp_path)
    m = [{"role": "user", "content": "x"}]
    llm.chat(m)
    for path in tmp_path.rglob("*.json"):
        path.write_text("{not json")
    assert llm.chat(m) == "reply 2"
