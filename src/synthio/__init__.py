"""Synthio: augment small audio-classification datasets with aligned, filtered synthetic audio."""

__version__ = "0.1.0"
