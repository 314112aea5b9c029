"""The engine seam: torch-free types and protocol, and one door (``create_engine``) for every engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audiobook_tts.config import build_settings
from audiobook_tts.engine import ENGINES, Engine, create_engine
from audiobook_tts.errors import ConfigError
from fakes import FakeEngine


def test_engine_front_and_render_side_import_without_torch():
    modules = ("audiobook_tts.engine", "audiobook_tts.engine.api", "audiobook_tts.engine.variants",
               "audiobook_tts.pipeline", "audiobook_tts.plan", "audiobook_tts.schedule", "audiobook_tts.takes",
               "audiobook_tts.display")
    code = f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_fake_engine_implements_the_protocol(tmp_path):
    assert isinstance(FakeEngine(build_settings(None), tmp_path), Engine)


def test_unknown_backend_is_a_config_error(tmp_path):
    settings = build_settings(None, {"engine": {"backend": "nope"}})
    with pytest.raises(ConfigError) as err:
        create_engine(settings, tmp_path)
    assert str(err.value) == f"engine.backend must be one of {', '.join(ENGINES)}, not 'nope'"


def test_registered_backend_is_built_with_the_settings(monkeypatch, tmp_path):
    built = []
    monkeypatch.setitem(ENGINES, "probe", lambda settings, cache_dir: built.append((settings, cache_dir)) or "engine")
    settings = build_settings(None, {"engine": {"backend": "probe"}})
    assert create_engine(settings, tmp_path) == "engine"
    assert built == [(settings, tmp_path)]


def test_chatterbox_engine_implements_the_protocol(tmp_path):
    pytest.importorskip("torch")
    engine = create_engine(build_settings(None, {"model": {"source": "tiny"}}), tmp_path)
    assert type(engine).__name__ == "ChatterboxEngine"
    assert isinstance(engine, Engine)


def test_unknown_variant_is_a_config_error():
    from audiobook_tts.engine.variants import get_variant

    with pytest.raises(ConfigError) as err:
        get_variant("turbo-xl")
    assert str(err.value) == "model.variant must be one of standard, turbo, multilingual, not 'turbo-xl'"
