import json

import pytest

from synthio.clap.tiny import TinyClap
from synthio.dataset import DatasetError
from synthio.example import write_example
from synthio.pretraining.clap import ClapTrainConfig, pretrain_clap
from synthio.text import MiniLMText
from tests.clap.test_tiny import SMALL


def test_trains_logs_and_resumes(captioned_corpus, tmp_path, capsys):
    text = MiniLMText()
    model = pretrain_clap(captioned_corpus, tmp_path / "run", ClapTrainConfig(epochs=1, batch_size=8), SMALL, text)
    pretrain_clap(captioned_corpus, tmp_path / "run", ClapTrainConfig(epochs=2, batch_size=8), SMALL, text)
    assert "resuming after epoch 1" in capsys.readouterr().err.replace("\n", " ")
    log = [json.loads(line) for line in (tmp_path / "run/log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(r["loss"] > 0 for r in log)
    assert TinyClap.load(model, text=text).embed_text(["tone"]).shape == (1, 8)


def test_corpus_needs_captions(tmp_path):
    write_example(tmp_path / "plain", clips_per_class=1, seconds=0.25)
    with pytest.raises(DatasetError, match="caption"):
        pretrain_clap(tmp_path / "plain", tmp_path / "run", ClapTrainConfig(epochs=1), SMALL)

