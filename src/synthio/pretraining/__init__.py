"""Pretraining the embedded models: the captioned corpus (``synthio corpus build``), tiny CLAP and tiny T2A (``synthio pretrain``)."""
