import pytest
import yaml

from synthio.config import ConfigError, dump_config, load_config
from synthio.evaluation import EvaluateConfig


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data_dir: d\nout: o\nn: [10]\nsteps: 5\n")
    config = load_config(EvaluateConfig, path, {"steps": 7, "seeds": None})
    assert config.n == [10] and config.steps == 7 and config.seeds == [0, 1, 2, 3, 4]
    assert load_config(EvaluateConfig, None, yaml.safe_load(dump_config(config))) == config


def test_errors_name_the_file_and_field(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(EvaluateConfig, tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data_dir: d\nout: o\nmethods: [gold, mixup]\n")
    with pytest.raises(ConfigError, match="bad.yaml") as info:
        load_config(EvaluateConfig, bad)
    assert "mixup" in str(info.value) and "synthio-variations, retrieval-variations, retrieval" in str(info.value).replace("\n", " ")
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(EvaluateConfig, bad)
    bad.write_text("data_dir: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(EvaluateConfig, bad)


def test_invalid_values_read_one_line_each_with_the_setting_and_the_value_given(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(EvaluateConfig, None, {"out": "o", "seconds": 0.0, "train_where": "split=train"})
    assert str(info.value).splitlines() == [
        "invalid settings (from command line):",
        "  data_dir: Field required (give the DATA_DIR argument on the command line or data_dir: in the YAML)",
        "  train_where: Input should be a valid list (got 'split=train')",
        "  seconds: Input should be greater than 0 (got 0.0)",
    ]
    with pytest.raises(ConfigError, match=r"out: Field required \(give --out on the command line or out: in the YAML\)"):
        load_config(EvaluateConfig, None, {"data_dir": "d"})


def test_an_error_of_the_whole_settings_never_echoes_them(tmp_path):
    from synthio.pipeline import AugmentConfig

    with pytest.raises(ConfigError) as info:
        load_config(AugmentConfig, None, {"data_dir": "d", "out": "o", "threshold": 5.0, "llm": {"backend": "openai", "base_url": "http://u:secret@h/v1", "model": "m"}})
    assert str(info.value).splitlines()[1] == "  settings: Value error, threshold 5.0 is outside [0, 1], the range of the score rule" and "secret" not in str(info.value)
