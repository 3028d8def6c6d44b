import json
import re
import socket

import pytest
from typer.testing import CliRunner

from synthio.backends import BackendsConfig, BackendUnavailable, LLMSpec, check_backends, load_captioner, load_clap, load_llm, load_t2a
from synthio.cli import app
from synthio.config import dump_config
from synthio.llm.cache import CachedLLM
from tests.llm.test_openai_compat import ScriptedServer
from tests.tiny_models import save_tiny_clap, tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def rows_by_key(rows):
    return {(r.protocol, r.backend): r for r in rows}


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.close()


@pytest.fixture
def closed_port():
    """A loopback port bound but not listening: every connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def openai_row(**llm):
    rows = rows_by_key(check_backends(BackendsConfig.model_validate({"llm": {"backend": "openai", "model": "test-model", **llm}})))
    return rows[("llm", "openai")]


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
    pretrained = rows_by_key(check_backends(BackendsConfig.model_validate({"classifier": {"backend": "cnn-pretrained", "path": "nowhere"}})))
    assert pretrained[("classifier", "cnn-pretrained")].status == "unavailable" and "pretrain clap" in pretrained[("classifier", "cnn-pretrained")].detail


def test_configured_real_backends_load_from_local_folders(tmp_path):
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    save_tiny_clap(tmp_path / "clap")
    path = tmp_path / "backends.yaml"
    path.write_text(f"t2a: {{backend: stable-audio, path: {tmp_path / 'sao'}}}\nclap: {{backend: transformers, path: {tmp_path / 'clap'}}}\nfactor: 2\n")
    config = BackendsConfig.from_yaml(path)
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


def test_llm_spec_timeout_and_retries_reach_the_client():
    spec = LLMSpec(backend="openai", model="m", base_url="http://127.0.0.1:9/v1", cache_dir=None)
    assert (spec.timeout_seconds, spec.max_retries) == (30.0, 2)
    llm = load_llm(spec.model_copy(update={"timeout_seconds": 0.5, "max_retries": 0}))
    assert (llm.timeout_seconds, llm.max_retries) == (0.5, 0)
    assert "timeout_seconds" in LLMSpec.model_fields["max_retries"].description
    with pytest.raises(ValueError, match="max_retries"):
        LLMSpec(max_retries=-1)


def test_doctor_contacts_the_openai_endpoint(server, closed_port):
    refused = openai_row(base_url=f"http://127.0.0.1:{closed_port}/v1")
    assert refused.status == "unavailable" and refused.detail == f"cannot reach http://127.0.0.1:{closed_port}/v1: [Errno 111] Connection refused"
    answered = openai_row(base_url=server.base_url)
    assert answered.status == "ready" and answered.detail == f"test-model at {server.base_url} answered GET /models; it lists the model"
    assert server.requests[-1][1] == "/v1/models"
    server.script = [("status", 401)]
    bad_key = openai_row(base_url=server.base_url, api_key_env="SYNTHIO_TEST_KEY")
    assert bad_key.status == "unavailable" and "HTTP 401" in bad_key.detail and bad_key.detail.endswith("check the key in $SYNTHIO_TEST_KEY")
    server.script = [("sleep", 1.0)]
    silent = openai_row(base_url=server.base_url, timeout_seconds=0.2)
    assert silent.status == "unavailable" and silent.detail == f"{server.base_url} did not answer GET /models within 0.2 s"


def test_an_unreachable_endpoint_fails_before_the_slow_stages_and_a_partial_server_only_warns(server, closed_port, capsys):
    from synthio.backends import preflight_llm
    from synthio.llm.base import LLMUnreachable

    with pytest.raises(LLMUnreachable, match=f"cannot reach http://127.0.0.1:{closed_port}/v1.*start the server or fix llm.base_url"):
        preflight_llm(LLMSpec(backend="openai", model="m", base_url=f"http://127.0.0.1:{closed_port}/v1"))
    server.script = [("status", 404)]
    preflight_llm(LLMSpec(backend="openai", model="test-model", base_url=server.base_url))
    assert "HTTP 404" in capsys.readouterr().err and server.requests[-1][1] == "/v1/models"
    server.script = [("sleep", 1.0)]
    preflight_llm(LLMSpec(backend="openai", model="test-model", base_url=server.base_url, timeout_seconds=0.2))  # slow is not unreachable
    assert "did not answer GET /models within 0.2 s" in " ".join(capsys.readouterr().err.split())
    preflight_llm(LLMSpec(backend="openai", model="m"))  # the OpenAI API itself: not contacted
    preflight_llm(LLMSpec())


def test_doctor_never_contacts_the_openai_api_and_checks_its_key(monkeypatch):
    monkeypatch.delenv("SYNTHIO_TEST_KEY", raising=False)
    missing = openai_row(api_key_env="SYNTHIO_TEST_KEY")
    assert missing.status == "unavailable" and missing.detail.startswith("environment variable SYNTHIO_TEST_KEY is not set")
    monkeypatch.setenv("SYNTHIO_TEST_KEY", "sk-test")
    present = openai_row(api_key_env="SYNTHIO_TEST_KEY")
    assert present.status == "ready" and "not contacted" in present.detail


def test_written_configs_never_hold_url_credentials():
    url = "http://user:hunter2@127.0.0.1:8000/v1?api_key=hunter3&token=hunter4&model=m"
    spec = LLMSpec(backend="openai", model="m", base_url=url)
    written = [spec.model_dump_json(), json.dumps(spec.model_dump(mode="json")), BackendsConfig(llm=spec).model_dump_json(), dump_config(BackendsConfig(llm=spec))]
    for text in written:
        assert "hunter" not in text and "http://user:***@127.0.0.1:8000/v1?api_key=***&token=***&model=m" in text
    assert spec.base_url == url and spec.model_dump()["base_url"] == url
    assert "hunter" not in load_llm(spec.model_copy(update={"cache_dir": None})).name
    assert LLMSpec(base_url="http://127.0.0.1:8000/v1").model_dump(mode="json")["base_url"] == "http://127.0.0.1:8000/v1"


def test_doctor_exit_code(tmp_path, server, closed_port):
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    good.write_text("t2a: {backend: stable-audio, path: %s}\nclap: {backend: transformers, path: %s}\nllm: {backend: openai, model: test-model, base_url: '%s'}\n" % (tmp_path / "sao", tmp_path / "clap", server.base_url))
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    save_tiny_clap(tmp_path / "clap")
    result = runner.invoke(app, ["doctor", "--config", str(good)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("t2a: {backend: stable-audio, path: %s}\n" % (tmp_path / "nothing"))
    result = runner.invoke(app, ["doctor", "--config", str(bad)])
    assert result.exit_code == 1 and "unavailable" in result.output
    unreachable = tmp_path / "unreachable.yaml"
    unreachable.write_text("llm: {backend: openai, model: test-model, base_url: 'http://127.0.0.1:%d/v1'}\n" % closed_port)
    result = runner.invoke(app, ["doctor", "--config", str(unreachable)])
    assert result.exit_code == 1 and "Connection refused" in re.sub(r"[│\s]+", " ", result.output)  # the table may wrap the message


def test_a_yaml_key_no_command_reads_is_refused_while_an_augment_configs_keys_pass(tmp_path):
    from synthio.config import ConfigError

    augment_yaml = tmp_path / "augment.yaml"
    augment_yaml.write_text("factor: 2\nsteps: 100\nclap: {backend: embedded}\n")
    assert BackendsConfig.from_yaml(augment_yaml).clap.backend == "embedded"
    typo = tmp_path / "typo.yaml"
    typo.write_text("tt2a: {backend: embedded}\n")
    with pytest.raises(ConfigError, match=r"typo.yaml: no Synthio command reads 'tt2a'; the backend sections are t2a, clap"):
        BackendsConfig.from_yaml(typo)
    result = CliRunner().invoke(app, ["doctor", "--config", str(typo)])
    assert result.exit_code == 2 and "tt2a" in result.output


def test_the_embedded_backends_load_a_trained_folder_given_as_path_and_refuse_one_without_a_model(tmp_path):
    from synthio.clap.tiny import TinyClapAudio, TinyClapConfig, save_tiny_clap
    from synthio.t2a.tiny import TinyT2A, TinyT2AConfig

    small = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)
    TinyT2A(small).save(tmp_path / "t2a")
    save_tiny_clap(TinyClapAudio(TinyClapConfig(seconds=0.5, n_mels=16, channels=(4, 8), embed_dim=8)), tmp_path / "clap")
    config = BackendsConfig.model_validate({"t2a": {"path": str(tmp_path / "t2a")}, "clap": {"path": str(tmp_path / "clap")}})
    t2a, clap = load_t2a(config.t2a), load_clap(config.clap)
    assert t2a.config == small and t2a.name == f"embedded:tiny-t2a@{tmp_path / 't2a'}"
    assert clap.audio.config.embed_dim == 8 and clap.name == f"embedded:tiny-clap@{tmp_path / 'clap'}"
    assert load_t2a(BackendsConfig().t2a).config.n_mels == 64
    assert rows_by_key(check_backends(config))[("t2a", "embedded")].detail == t2a.name
    empty = BackendsConfig.model_validate({"t2a": {"path": str(tmp_path)}, "clap": {"path": str(tmp_path)}})
    for load, spec in ((load_t2a, empty.t2a), (load_clap, empty.clap)):
        with pytest.raises(BackendUnavailable, match=f"{tmp_path} has no config.json"):
            load(spec)
    with pytest.raises(BackendUnavailable, match=f"{tmp_path / 'nope'} does not exist"):
        load_clap(BackendsConfig.model_validate({"clap": {"path": str(tmp_path / "nope")}}).clap)
    (tmp_path / "file").write_text("x")
    with pytest.raises(BackendUnavailable, match="is a file, not a folder"):
        load_t2a(BackendsConfig.model_validate({"t2a": {"path": str(tmp_path / "file")}}).t2a)


def test_doctor_reads_evaluates_classifier_keys_and_its_hint_is_what_evaluate_reads(tmp_path):
    from synthio.backends import check_backends

    evaluate_yaml = tmp_path / "evaluate.yaml"
    evaluate_yaml.write_text("classifier: cnn-pretrained\nclassifier_path: %s\n" % (tmp_path / "tower"))
    spec = BackendsConfig.from_yaml(evaluate_yaml).classifier
    assert (spec.backend, spec.path) == ("cnn-pretrained", tmp_path / "tower")
    hints = {row.backend: row.detail for row in check_backends(BackendsConfig()) if row.protocol == "classifier" and row.status == "not configured"}
    assert hints["clap-probe"] == "enable with: classifier: clap-probe"
