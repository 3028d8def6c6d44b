"""Audio-text scorers (CLAP) behind one protocol and one score formula."""

from synthio.clap.base import AudioTextScorer, clap_score, template_prompt

__all__ = ["AudioTextScorer", "clap_score", "template_prompt"]
