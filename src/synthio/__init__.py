"""Synthio: augment small audio-classification datasets with aligned, filtered synthetic audio.

The Python API (``synthio.api``; loaded on first use, so ``import synthio`` stays light)::

    import synthio
    result = synthio.augment("data/example", where=["split=train"], n=24, factor=2, out="runs/aug")
    print(result.kept, result.metadata)
"""

__version__ = "0.1.0"

_API = ("augment", "evaluate", "load_t2a", "load_clap", "load_llm", "AugmentResult", "EvaluateResult")
__all__ = [*_API, "__version__"]


def __getattr__(name: str):
    if name in _API:
        from synthio import api

        return getattr(api, name)
    raise AttributeError(f"module 'synthio' has no attribute {name!r}")
