from pathlib import Path

import pytest

from audiobook_tts.config import Settings, build_settings, find_profile
from audiobook_tts.errors import ConfigError


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_without_profile():
    s = build_settings(None)
    assert s == Settings(profile="defaults")
    assert s.chunking.short_max_chars < s.chunking.medium_max_chars < s.chunking.long_max_chars


@pytest.mark.parametrize("name", ["cpu", "default", "fast", "quality", "smoke", "turbo", "turbo-cpu", "multilingual", "multilingual-cpu"])
def test_shipped_profiles_load(name):
    s = build_settings(name)
    assert s.profile == name


def test_smoke_is_offline_tiny_cpu():
    s = build_settings("smoke")
    assert (s.model.source, s.engine.device) == ("tiny", "cpu")


def test_verify_is_on_in_quality_and_offline_in_smoke():
    assert build_settings("quality").verify.enabled
    smoke = build_settings("smoke").verify
    assert (smoke.enabled, smoke.model) == (False, "tiny-random")
    assert build_settings("default").verify.enabled is False


def test_bad_verify_values_name_key_and_file(tmp_path):
    p = write(tmp_path, "v.toml", "[verify]\nmax_error_rate = 1.5\n")
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value) == f"{p.resolve()}: verify.max_error_rate must be between 0.0 and 1.0, not 1.5"
    p = write(tmp_path, "s.toml", '[output]\nsubtitles = "ass"\n')
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value) == f"{p.resolve()}: output.subtitles must be one of none, srt, vtt, not 'ass'"


def test_flag_overrides_profile_overrides_defaults(tmp_path):
    write(tmp_path, "base.toml", '[engine]\ndevice = "cuda"\n[synthesis]\nseed = 5\n')
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[synthesis]\nseed = 7\n')
    s = build_settings(str(child), {"engine": {"device": "cpu"}, "synthesis": {"temperature": None}})
    assert s.engine.device == "cpu"  # flag beats profile
    assert s.synthesis.seed == 7  # child beats parent
    assert s.synthesis.temperature == 0.8  # a flag left unset (None) keeps the default
    assert build_settings(str(child)).engine.device == "cuda"  # inherited from the parent


def test_extends_by_name_reaches_shipped_profiles(tmp_path):
    p = write(tmp_path, "mine.toml", 'extends = "smoke"\n[output]\nformat = "mp3"\n')
    s = build_settings(str(p))
    assert (s.model.source, s.output.format) == ("tiny", "mp3")


def test_unknown_profile_lists_available():
    with pytest.raises(ConfigError) as e:
        build_settings("nope")
    assert str(e.value) == "unknown profile 'nope' (available: cpu, default, fast, multilingual, multilingual-cpu, quality, smoke, turbo, turbo-cpu)"


def test_unknown_key_names_key_and_file(tmp_path):
    p = write(tmp_path, "bad.toml", "[engine]\ncompiel = true\n")
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value).startswith(f"{p.resolve()}: unknown key 'compiel' in [engine] (known: device,")


def test_unknown_section(tmp_path):
    p = write(tmp_path, "bad.toml", "[engin]\ncompile = true\n")
    with pytest.raises(ConfigError, match=r"unknown section \[engin\]"):
        build_settings(str(p))


def test_bad_value_names_key_and_file(tmp_path):
    p = write(tmp_path, "bad.toml", '[engine]\ndevice = "tpu"\n')
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value) == f"{p.resolve()}: engine.device must be one of auto, cuda, cpu, mps, not 'tpu'"


def test_out_of_range_and_wrong_type(tmp_path):
    p = write(tmp_path, "bad.toml", "[synthesis]\ntemperature = 0\n")
    with pytest.raises(ConfigError, match=r"synthesis.temperature must be between 0.05 and 5.0, not 0.0"):
        build_settings(str(p))
    p = write(tmp_path, "bad2.toml", '[chunking]\nlong_max_chars = "long"\n')
    with pytest.raises(ConfigError, match=r"chunking.long_max_chars must be an integer, not 'long'"):
        build_settings(str(p))
    p = write(tmp_path, "bad3.toml", "[engine]\ncompile = 1\n")
    with pytest.raises(ConfigError, match=r"engine.compile must be true or false, not 1"):
        build_settings(str(p))


def test_toml_syntax_error_has_line(tmp_path):
    p = write(tmp_path, "bad.toml", "[engine]\ndevice = \n")
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value).startswith(f"{p.resolve()}: TOML syntax error:")
    assert "line 2" in str(e.value)


def test_bucket_limits_must_grow(tmp_path):
    p = write(tmp_path, "bad.toml", "[chunking]\nmedium_max_chars = 500\n")
    with pytest.raises(ConfigError, match=r"short_max_chars \(80\) < medium_max_chars \(500\) < long_max_chars \(300\)"):
        build_settings(str(p))


def test_extends_cycle(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ConfigError, match="profile extends itself"):
        build_settings(str(tmp_path / "a.toml"))


def test_dir_source_needs_dir():
    with pytest.raises(ConfigError, match=r"model.source = 'dir' needs model.dir"):
        build_settings("default", {"model": {"source": "dir"}})


def test_user_profile_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "audiobook-tts").mkdir()
    (tmp_path / "audiobook-tts" / "mine.toml").write_text("[synthesis]\nseed = 42\n")
    assert find_profile("mine") == tmp_path / "audiobook-tts" / "mine.toml"
    assert build_settings("mine").synthesis.seed == 42
