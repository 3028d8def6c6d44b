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
