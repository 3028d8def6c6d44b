import json

import pytest
import torch

from synthio.train.classifiers import ASTClassifier, Classifier, CNNClassifier, build_classifier


def tiny_ast_config():
    from transformers import ASTConfig

    return ASTConfig(
        hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        patch_size=8, frequency_stride=8, time_stride=8, max_length=32, num_mel_bins=16,
    )


def test_cnn_needs_normalisation_then_classifies():
    model = CNNClassifier(["a", "b", "c"])
    assert isinstance(model, Classifier)
    features = model.featurize(torch.randn(2, 16000))
    assert features.shape == (2, 32, 40)
    with pytest.raises(RuntimeError, match="fit_normalization"):
        model(model.prepare(features))
    model.fit_normalization(features)
    assert torch.allclose(model.prepare(features).reshape(-1, 40).mean(0), torch.zeros(40), atol=1e-5)
    assert model(model.prepare(features)).shape == (2, 3)


def test_ast_from_config_trains_a_step():
    model = ASTClassifier.from_config(tiny_ast_config(), ["a", "b"])
    assert isinstance(model, Classifier)
    features = model.featurize(torch.randn(3, 8000))
    assert features.shape == (3, 32, 16)
    logits = model(model.prepare(features))
    assert logits.shape == (3, 2)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0])).backward()
    assert model.model.classifier.dense.weight.grad is not None


def test_ast_from_local_folder_replaces_head(tmp_path):
    from transformers import ASTFeatureExtractor, ASTForAudioClassification

    config = tiny_ast_config()
    config.num_labels = 5
    ASTForAudioClassification(config).save_pretrained(tmp_path / "ckpt")
    ASTFeatureExtractor(num_mel_bins=16, max_length=32, mean=-3.0, std=2.0).save_pretrained(tmp_path / "ckpt")
    model = build_classifier("ast", ["x", "y"], path=tmp_path / "ckpt")
    assert model.model.config.num_labels == 2 and model.extractor.mean == -3.0
    assert model(model.featurize(torch.randn(1, 4000))).shape == (1, 2)


def test_ast_from_config_json_and_errors(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(tiny_ast_config().to_dict()))
    assert build_classifier("ast", ["a", "b"], path=path).model.config.num_labels == 2
    with pytest.raises(ValueError, match="classifier-path"):
        build_classifier("ast", ["a", "b"])
    (tmp_path / "not_a_checkpoint").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json"):
        build_classifier("ast", ["a", "b"], path=tmp_path / "not_a_checkpoint")
    with pytest.raises(ValueError, match="cnn, cnn-pretrained, clap-probe or ast"):
        build_classifier("resnet", ["a"])


def test_ast_from_local_folder_fine_tunes_with_its_extractor_normalisation(tmp_path):
    from transformers import ASTFeatureExtractor, ASTForAudioClassification

    from synthio.train.trainer import TrainConfig, train_classifier

    ASTForAudioClassification(tiny_ast_config()).save_pretrained(tmp_path / "ckpt")
    ASTFeatureExtractor(num_mel_bins=16, max_length=32, mean=-3.0, std=2.0).save_pretrained(tmp_path / "ckpt")
    model = build_classifier("ast", ["a", "b"], path=tmp_path / "ckpt")
    waves = torch.randn(4, 8000)
    features = model.featurize(waves)
    raw = ASTFeatureExtractor(num_mel_bins=16, max_length=32, do_normalize=False)(list(waves.numpy()), sampling_rate=16000, return_tensors="pt")["input_values"]
    assert torch.allclose(features, (raw + 3.0) / (2 * 2.0), atol=1e-5)
    before = [p.detach().clone() for p in model.parameters()]
    train_classifier(model, features, torch.tensor([0, 1, 0, 1]), None, None, TrainConfig(steps=2, batch_size=4))
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters()))


def saved_tiny_clap(folder):
    """A tiny random CLAP tower with non-trivial input statistics, saved to ``folder``; returned as loaded back (its matrices rounded to float16)."""
    from synthio.clap.tiny import TinyClapAudio, TinyClapConfig, load_tiny_clap_audio, save_tiny_clap

    torch.manual_seed(0)
    audio = TinyClapAudio(TinyClapConfig(seconds=0.5, n_mels=16, channels=(4, 8), embed_dim=8))
    with torch.no_grad():
        audio.feature_mean.fill_(-4.0)
        audio.feature_std.fill_(3.0)
    save_tiny_clap(audio, folder)
    return load_tiny_clap_audio(folder)


def test_clap_probe_starts_as_zero_shot_and_keeps_the_pretrained_tower(tmp_path):
    from synthio.clap.tiny import TinyClap
    from synthio.train.trainer import TrainConfig, predict_logits, train_classifier

    saved_tiny_clap(tmp_path / "clap")
    model = build_classifier("clap-probe", ["dog", "rain", "siren"], path=tmp_path / "clap")
    waves = torch.randn(6, 8000)
    features = model.featurize(waves)
    clap = TinyClap.load(tmp_path / "clap")
    expected = (clap.embed_audio([w.numpy() for w in waves], 16000) @ clap.embed_text(["Sound of a dog", "Sound of a rain", "Sound of a siren"]).T).argmax(1)
    assert torch.equal(predict_logits(model, features).argmax(1), expected)
    tower_before = {k: v.clone() for k, v in model.audio.state_dict().items()}
    train_classifier(model, features, torch.tensor([0, 1, 2, 0, 1, 2]), None, None, TrainConfig(steps=3, batch_size=6))
    assert all(torch.equal(v, model.audio.state_dict()[k]) for k, v in tower_before.items())
    assert not model.audio.training
    with pytest.raises(FileNotFoundError, match="pretrain clap"):
        build_classifier("clap-probe", ["a"], path=tmp_path / "missing")


def test_cnn_pretrained_starts_from_the_clap_encoder_keeps_its_statistics_and_fine_tunes_it(tmp_path):
    from synthio.train.trainer import TrainConfig, train_classifier

    audio = saved_tiny_clap(tmp_path / "clap")
    model = build_classifier("cnn-pretrained", ["dog", "rain", "siren"], path=tmp_path / "clap")
    assert model.sample_rate == audio.config.sample_rate and model.head.out_features == 3
    assert all(torch.equal(v, audio.encoder.state_dict()[k]) for k, v in model.encoder.state_dict().items())
    waves = torch.randn(6, 8000)
    features = model.featurize(waves)
    assert torch.allclose(model.prepare(features), audio.features(waves))
    train_classifier(model, features, torch.tensor([0, 1, 2, 0, 1, 2]), None, None, TrainConfig(steps=3, batch_size=6))
    assert torch.equal(model.feature_mean, torch.full((16,), -4.0)) and torch.equal(model.feature_std, torch.full((16,), 3.0))
    assert any(not torch.equal(v, audio.encoder.state_dict()[k]) for k, v in model.encoder.state_dict().items() if v.is_floating_point())
    with pytest.raises(FileNotFoundError, match="cnn-pretrained.*pretrain clap"):
        build_classifier("cnn-pretrained", ["a"], path=tmp_path / "missing")


def test_both_pretrained_classifiers_start_from_the_shipped_v1_tower_not_the_v2_scorer():
    from synthio.clap.tiny import load_tiny_clap_audio
    from synthio.weights import shipped

    v1, v2 = load_tiny_clap_audio(shipped("tiny_clap_v1")), load_tiny_clap_audio(shipped("tiny_clap"))
    model = build_classifier("cnn-pretrained", ["a", "b"])
    assert model.encoder.embedding_dim == 128 and not bool((model.feature_std == 0).any())
    assert all(torch.equal(v, v1.encoder.state_dict()[k]) for k, v in model.encoder.state_dict().items())
    assert torch.equal(model.feature_mean, v1.feature_mean) and not torch.equal(model.feature_mean, v2.feature_mean)
    probe = build_classifier("clap-probe", ["a", "b"])
    assert torch.equal(probe.audio.encoder.blocks[0][0].weight, v1.encoder.blocks[0][0].weight)
