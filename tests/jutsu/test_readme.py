"""The README documents every environment variable the platform reads."""

from __future__ import annotations

from pathlib import Path

from jutsu.conf.parameters import PARAMETERS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_runtime_parameter_environment_variable_is_documented():
    missing = [p.env_var for p in PARAMETERS.values() if p.env_var and f"`{p.env_var}`" not in README]
    assert missing == []


def test_quick_start_gives_the_two_commands():
    assert "make demo" in README and "make test" in README
