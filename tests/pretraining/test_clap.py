import json

import pytest
import torch

from synthio.clap.tiny import TinyClap
from synthio.dataset import DatasetError
from synthio.errors import SynthioError
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



def test_held_out_clips_are_never_trained_on_and_calibrate_the_score(captioned_corpus, tmp_path):
    from synthio.clap.calibration import ScoreCalibration
    from synthio.pretraining.clap import holdout_split

    held_out, kept = holdout_split(12, 0.25, seed=0)
    assert len(held_out) == 3 and sorted(held_out.tolist() + kept.tolist()) == list(range(12))
    assert torch.equal(holdout_split(12, 0.25, seed=0)[0], held_out) and not torch.equal(holdout_split(12, 0.25, seed=1)[0], held_out)
    assert len(holdout_split(12, 0.0, seed=0)[0]) == 0
    with pytest.raises(SynthioError, match="leaves no clip"):
        holdout_split(3, 0.1, seed=0)
    with pytest.raises(SynthioError, match=r"holdout_fraction must be in \[0, 1\)"):
        ClapTrainConfig(holdout_fraction=1.0)
    text = MiniLMText()
    model = pretrain_clap(captioned_corpus, tmp_path / "run", ClapTrainConfig(epochs=1, batch_size=4, holdout_fraction=0.25), SMALL, text)
    calibration = ScoreCalibration.load(model)
    rows = (captioned_corpus / "metadata.csv").read_text().splitlines()[1:]
    labels = {row.split(",")[1] for row in rows}
    assert calibration.held_out_clips == round(0.25 * len(rows)) and calibration.pairs == calibration.held_out_clips * len(labels)
    assert TinyClap.load(model, text=text).logit_bias() == calibration.logit_bias
    for other in (ClapTrainConfig(epochs=2, batch_size=4), ClapTrainConfig(epochs=2, batch_size=4, holdout_fraction=0.25, seed=1)):
        with pytest.raises(SynthioError, match="trained with other clips held out"):
            pretrain_clap(captioned_corpus, tmp_path / "run", other, SMALL, text)
