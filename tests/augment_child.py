"""Run by test_augment's crash test as a subprocess: the pipeline with a tiny T2A and a scripted LLM."""

import sys
from pathlib import Path

import synthio.pipeline as augment
from synthio.align.dpo import AlignTrainConfig
from tests.align.helpers import small_t2a
from tests.fakes import ScriptedLLM


def config(data: Path, out: Path) -> augment.AugmentConfig:
    return augment.AugmentConfig(
        data_dir=data, out=out, n=6, factor=3, sample_steps=2, batch_size=2, threshold=0.5, reflection_rounds=2,
        align_train=AlignTrainConfig(steps=4, batch_size=2, checkpoint_every=1), report=False, verdict=False, llm={"cache_dir": str(out.parent / "llm-cache")},
    )


def patch(monkeypatch=None) -> None:
    """Swap the T2A and LLM loaders (through pytest's ``monkeypatch`` when given, so they are restored)."""
    setattr_ = monkeypatch.setattr if monkeypatch is not None else setattr
    setattr_(augment, "load_t2a", lambda spec: small_t2a())
    setattr_(augment, "load_llm", lambda spec: ScriptedLLM())


if __name__ == "__main__":
    patch()
    augment.augment_dataset(config(Path(sys.argv[1]), Path(sys.argv[2])))
