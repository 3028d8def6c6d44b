import json

import pytest
import torch
from safetensors.torch import load_file

from synthio.errors import SynthioError
from synthio.pretraining.t2a import T2ATrainConfig, pretrain_t2a
from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
from synthio.text import MiniLMText


def test_t2a_pretraining_resumes_and_exports(captioned_corpus, tmp_path, capsys):
    text = MiniLMText()
    config = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)
    pretrain_t2a(captioned_corpus, tmp_path / "run", T2ATrainConfig(steps=2, batch_size=4, checkpoint_every=1), config, text)
    model = pretrain_t2a(captioned_corpus, tmp_path / "run", T2ATrainConfig(steps=4, batch_size=4, checkpoint_every=2), config, text)
    assert "resuming after step 2" in capsys.readouterr().err.replace("\n", " ")
    steps = [json.loads(line)["step"] for line in (tmp_path / "run/log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 4]
    assert (tmp_path / "run/features.npz").exists()
    pretrain_t2a(None, tmp_path / "run", T2ATrainConfig(steps=5, batch_size=4, checkpoint_every=5), config, text)
    assert [json.loads(line)["step"] for line in (tmp_path / "run/log.jsonl").read_text().splitlines()][-1] == 5
    assert len(TinyT2A.load(model, text=text).sample(["tone"], [0.25], 2, 2.0, [0])[0]) == 4000


def test_t2a_pretraining_continues_from_a_model_with_its_statistics(captioned_corpus, tmp_path):
    text = MiniLMText()
    config = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)
    start = TinyT2A(config, text=text)
    start.mel_mean, start.mel_std = torch.linspace(-8.0, -2.0, 16), torch.linspace(1.0, 3.0, 16)
    start.save(tmp_path / "start")
    still = pretrain_t2a(captioned_corpus, tmp_path / "still", T2ATrainConfig(steps=1, batch_size=4, learning_rate=0.0), text=text, init=tmp_path / "start")
    before, after = load_file(str(tmp_path / "start/model.safetensors")), load_file(str(still / "model.safetensors"))
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    with pytest.raises(SynthioError, match="not both"):
        pretrain_t2a(captioned_corpus, tmp_path / "both", T2ATrainConfig(steps=1, batch_size=4), config, text, init=tmp_path / "start")
    pretrain_t2a(captioned_corpus, tmp_path / "scratch", T2ATrainConfig(steps=1, batch_size=4), config, text)
    with pytest.raises(SynthioError, match="other mel statistics"):
        pretrain_t2a(None, tmp_path / "scratch", T2ATrainConfig(steps=2, batch_size=4), text=text, init=tmp_path / "start")
