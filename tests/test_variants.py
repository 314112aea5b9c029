"""The variant table: torch-free rows, each with its profiles and languages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audiobook_tts.config import build_settings
from audiobook_tts.engine.variants import MULTILINGUAL_LANGUAGES, VARIANTS, get_variant


def test_the_table_imports_without_torch():
    code = "import sys, audiobook_tts.engine.variants; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_rows_and_languages():
    assert list(VARIANTS) == ["standard", "turbo", "multilingual"]
    assert VARIANTS["standard"].languages == VARIANTS["turbo"].languages == ("en",)
    mtl = get_variant("multilingual")
    assert mtl.multilingual and not VARIANTS["turbo"].multilingual
    assert len(mtl.languages) == 23 and "en" in mtl.languages
    turbo = VARIANTS["turbo"]
    assert (turbo.cfg, turbo.meanflow, turbo.t3_loop.stock) == (False, True, "inference_turbo")


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_variants_cpu_profile_runs_that_variant(name):
    variant = VARIANTS[name]
    settings = build_settings(variant.cpu_profile)
    assert settings.model.variant == name and settings.engine.device == "cpu"


def test_turbo_profiles_use_two_flow_steps_and_turbos_sampling():
    for profile in ("turbo", "turbo-cpu"):
        s = build_settings(profile).synthesis
        assert (s.cfm_steps, s.top_p, s.cfg_weight, s.min_p) == (2, 0.95, 0.0, 0.0)


def test_the_languages_are_chatterboxs():
    pytest.importorskip("torch")
    from chatterbox.mtl_tts import SUPPORTED_LANGUAGES

    assert MULTILINGUAL_LANGUAGES == tuple(SUPPORTED_LANGUAGES)
