"""Packaging: the overrides file that `uv tool install` needs says what pyproject.toml says."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10 only
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


def test_overrides_file_equals_the_uv_table():
    table = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["override-dependencies"]
    lines = (REPO / "overrides.txt").read_text().splitlines()
    listed = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert listed == table


def test_readme_installs_the_tool_with_the_overrides_file():
    assert "uv tool install . --overrides overrides.txt" in (REPO / "README.md").read_text()
