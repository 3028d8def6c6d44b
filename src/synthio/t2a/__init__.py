"""Text-to-audio models behind one protocol (sampling, encoding, per-sample diffusion loss, LoRA)."""

from synthio.t2a.base import EncodedAudio, TextToAudio, expand_per_prompt

__all__ = ["EncodedAudio", "TextToAudio", "expand_per_prompt"]
