import pytest
from typer.testing import CliRunner

from synthio.backends import BackendsConfig, BackendUnavailable, LLMSpec, check_backends, load_captioner, load_clap, load_llm, load_t2a
from synthio.cli import app
from synthio.config import load_config
from synthio.llm.cache import CachedLLM
from tests.tiny_models import save_tiny_clap, tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def rows_by_key(rows):
    return {(r.protocol, r.backend): r for r in rows}


def test_defaults_are_embedded_and_others_say_how_to_enable():
    rows = rows_by_key(check_backends(BackendsConfig()))
    assert rows[("captioner", "embedded")].status == "ready"
    assert rows[("t2a", "embedded")].status == "ready" and "tiny-t2a" in rows[("t2a", "embedded")].detail
    assert rows[("clap", "embedded")].status == "ready" and "tiny-clap" in rows[("clap", "embedded")].detail
    assert rows[("llm", "embedded")].status == "ready"
    assert rows[("classifier", "cnn")].status == "ready"
    assert rows[("t2a", "stable-audio")].status == "not configured"
    assert "t2a: {backend: stable-audio, path:" in rows[("t2a", "stable-audio")].detail
    assert "api_key_env" in rows[("llm", "openai")].detail
    probe = rows_by_key(check_backends(BackendsConfig.model_validate({"classifier": {"backend": "clap-probe"}})))
    assert probe[("classifier", "clap-probe")].status == "ready"


def test_configured_real_backends_load_from_local_folders(tmp_path):
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    save_tiny_clap(tmp_path / "clap")
    path = tmp_path / "backends.yaml"
    path.write_text(f"t2a: {{backend: stable-audio, path: {tmp_path / 'sao'}}}\nclap: {{backend: transformers, path: {tmp_path / 'clap'}}}\nunrelated: 1\n")
    config = load_config(BackendsConfig, path)
    rows = rows_by_key(check_backends(config, load=True))
    assert rows[("t2a", "stable-audio")].status == "ready" and rows[("clap", "transformers")].status == "ready"
    assert load_t2a(config.t2a).sample_rate == 1000
    assert load_clap(config.clap).model_sample_rate == 16000


def test_missing_weights_are_unavailable_with_the_reason(tmp_path):
    config = BackendsConfig.model_validate({"t2a": {"backend": "stable-audio", "path": str(tmp_path)}, "llm": {"backend": "openai"}})
    rows = rows_by_key(check_backends(config))
    assert rows[("t2a", "stable-audio")].status == "unavailable" and "model_index.json" in rows[("t2a", "stable-audio")].detail
    assert rows[("llm", "openai")].status == "unavailable" and "model:" in rows[("llm", "openai")].detail
    with pytest.raises(BackendUnavailable, match="path"):
        load_t2a(BackendsConfig.model_validate({"t2a": {"backend": "stable-audio"}}).t2a)


def test_llm_is_cached_unless_disabled(tmp_path):
    spec = LLMSpec(backend="openai", model="m", base_url="http://127.0.0.1:9/v1", cache_dir=tmp_path)
    assert isinstance(load_llm(spec), CachedLLM)
    assert not isinstance(load_llm(spec.model_copy(update={"cache_dir": None})), CachedLLM)
    assert load_captioner(BackendsConfig().captioner).name == "embedded:descriptors"


def test_doctor_exit_code(tmp_path):
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text("t2a: {backend: stable-audio, path: %s}\nclap: {backend: transformers, path: %s}\nllm: {backend: openai, model: m, base_url: 'http://127.0.0.1:9/v1'}\n" % (tmp_path / "sao", tmp_path / "clap"))
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    save_tiny_clap(tmp_path / "clap")
    result = runner.invoke(app, ["doctor", "--config", str(good)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("t2a: {backend: stable-audio, path: %s}\n" % (tmp_path / "nothing"))
    result = runner.invoke(app, ["doctor", "--config", str(bad)])
    assert result.exit_code == 1 and "unavailable" in result.output
