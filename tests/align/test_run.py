import json
import math

import pytest

from synthio.align.dpo import AlignTrainConfig
from synthio.align.run import AlignConfig, align_dataset
from tests.align.helpers import small_t2a
from tests.conftest import make_folder

pytestmark = pytest.mark.filterwarnings("ignore")


def test_align_writes_adapter_and_summary_and_a_rerun_reuses_it(tmp_path, monkeypatch):
    data = make_folder(tmp_path / "data", {"low": 6, "high": 6}, seconds=0.4)
    model = small_t2a()
    monkeypatch.setattr("synthio.align.run.load_t2a", lambda spec: model)
    config = AlignConfig(data_dir=data, out=tmp_path / "out", n=6, losers_per_clip=2, sample_steps=2, train=AlignTrainConfig(steps=3, batch_size=4))
    summary = align_dataset(config)
    assert summary["initial_loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert summary["clips"] == 6 and summary["pairs"] == 12 and summary["steps"] == 3
    assert summary["fd_before"] > 0 and summary["fd_after"] > 0 and 0 <= summary["implicit_accuracy"] <= 1
    assert (tmp_path / "out/adapter.safetensors").is_file() and len(list((tmp_path / "out/samples/after").glob("*.wav"))) == 6
    assert json.loads((tmp_path / "out/align.json").read_text())["fd_after"] == summary["fd_after"]
    monkeypatch.setattr("synthio.align.run.load_t2a", lambda spec: pytest.fail("a finished alignment must not reload the model"))
    assert align_dataset(config) == summary
