import csv
import json

import pytest

from synthio.clap.pretrain import ClapTrainConfig, pretrain_clap
from synthio.clap.tiny import TinyClap
from synthio.dataset import DatasetError
from synthio.example import write_example
from tests.clap.test_tiny import SMALL


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    write_example(root, clips_per_class=3, seconds=0.5)
    rows = list(csv.DictReader(open(root / "metadata.csv")))
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file_name", "label", "caption"])
        writer.writeheader()
        writer.writerows({"file_name": r["file_name"], "label": r["label"], "caption": f"Sound of a {r['label']}"} for r in rows)
    return root


def test_trains_logs_and_resumes(corpus, tmp_path, capsys):
    from tests.clap.test_tiny import MiniLMText

    text = MiniLMText()
    model = pretrain_clap(corpus, tmp_path / "run", ClapTrainConfig(epochs=1, batch_size=8), SMALL, text)
    pretrain_clap(corpus, tmp_path / "run", ClapTrainConfig(epochs=2, batch_size=8), SMALL, text)
    assert "resuming after epoch 1" in capsys.readouterr().err.replace("\n", " ")
    log = [json.loads(line) for line in (tmp_path / "run/log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(r["loss"] > 0 for r in log)
    assert TinyClap.load(model, text=text).embed_text(["tone"]).shape == (1, 8)


def test_corpus_needs_captions(tmp_path):
    write_example(tmp_path / "plain", clips_per_class=1, seconds=0.25)
    with pytest.raises(DatasetError, match="caption"):
        pretrain_clap(tmp_path / "plain", tmp_path / "run", ClapTrainConfig(epochs=1), SMALL)
