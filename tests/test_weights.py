from pathlib import Path

from synthio.weights import WEIGHTS, shipped

ROOT = Path(__file__).resolve().parents[1]


def test_every_weights_folder_has_its_config_and_model_card_and_all_of_them_fit_in_40_mb():
    files = sorted(WEIGHTS.rglob("*.safetensors")) + sorted((ROOT / "candidates").rglob("*.safetensors"))
    assert {f.parent.name for f in files} >= {"tiny_clap", "tiny_clap_v1", "tiny_t2a", "tiny_t2a_weighted"}
    for file in files:
        assert (file.parent / "config.json").is_file() and (file.parent / "MODEL_CARD.md").is_file(), file.parent
    assert sum(f.stat().st_size for f in files) <= 40_000_000


def test_shipped_names_a_folder_only_when_its_weights_are_there():
    assert shipped("tiny_t2a") == WEIGHTS / "tiny_t2a"
    assert shipped("no_such_model") is None


def test_the_candidate_t2a_loads_through_the_embedded_backend_with_the_shipped_models_shape_and_mel_statistics():
    import torch

    from synthio.backends import T2ASpec, load_t2a

    candidate, shipped_t2a = load_t2a(T2ASpec(path=ROOT / "candidates" / "tiny_t2a_weighted")), load_t2a(T2ASpec())
    assert candidate.config == shipped_t2a.config
    assert torch.equal(candidate.mel_mean, shipped_t2a.mel_mean) and torch.equal(candidate.mel_std, shipped_t2a.mel_std)
    assert not torch.equal(candidate.unet.conv_in.weight, shipped_t2a.unet.conv_in.weight)


def test_a_folder_of_another_model_or_with_damaged_files_is_an_error_naming_the_folder(tmp_path):
    import shutil

    import pytest

    from synthio.clap.tiny import TinyClap
    from synthio.errors import MissingFileError, ModelFolderError
    from synthio.t2a.tiny import TinyT2A
    from synthio.t2a.vocoder import MelVocoder

    with pytest.raises(ModelFolderError, match=r"tiny_clap/config.json is not the configuration of a tiny T2A"):
        TinyT2A.load(shipped("tiny_clap"))
    with pytest.raises(ModelFolderError, match=r"tiny_t2a/config.json is not the configuration of a tiny CLAP"):
        TinyClap.load(shipped("tiny_t2a"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text("{}")
    shutil.copy(shipped("tiny_clap") / "model.safetensors", foreign)
    with pytest.raises(ModelFolderError, match=r"foreign/model.safetensors does not hold the weights of a vocoder"):
        MelVocoder.load(foreign)
    cut = tmp_path / "cut"
    shutil.copytree(shipped("tiny_clap"), cut)
    (cut / "model.safetensors").write_bytes((cut / "model.safetensors").read_bytes()[:100])
    with pytest.raises(ModelFolderError, match=r"cut/model.safetensors cannot be read as safetensors"):
        TinyClap.load(cut)
    (cut / "model.safetensors").unlink()
    with pytest.raises(MissingFileError, match=r"cut has no model.safetensors"):
        TinyClap.load(cut)
    (cut / "config.json").write_text("{not json")
    (cut / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelFolderError, match=r"cut/config.json is not the configuration"):
        TinyClap.load(cut)
