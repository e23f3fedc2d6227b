"""Registry settings, version bumps and release arguments: small table-driven checks."""

from __future__ import annotations

import pytest

from mlproject.errors import PipelineError
from mlproject.registry import Settings, check_version, settings_from
from mlproject.registry.candidate import bump_part
from mlproject.registry.tags import bump

BASE = {"model_type": "hist_gradient_boosting", "data": "a", "params": "p",
        "hyperparameters": {"max_iter": 150}}


@pytest.mark.parametrize(("change", "major", "expected"), [
    ({}, False, "patch"),
    ({"params": "q"}, False, "patch"),
    ({"hyperparameters": {"max_iter": 10}}, False, "patch"),
    ({"data": "b"}, False, "minor"),
    ({"model_type": "random_forest"}, False, "minor"),
    ({}, True, "major"),
])
def test_bump_rule(change, major, expected):
    """minor when data or model type changed, patch otherwise, major only by flag."""
    assert bump_part({**BASE, **change}, BASE, Settings(), major) == expected


def test_minor_when_is_configurable():
    settings = Settings(minor_when=("hyperparameters",))
    assert bump_part({**BASE, "hyperparameters": {}}, BASE, settings, False) == "minor"
    assert bump_part({**BASE, "data": "b"}, BASE, settings, False) == "patch"


@pytest.mark.parametrize(("version", "part", "expected"), [
    ("v1.2.3", "patch", "v1.2.4"), ("v1.2.3", "minor", "v1.3.0"), ("v1.2.3", "major", "v2.0.0"),
])
def test_bump(version, part, expected):
    assert bump(version, part) == expected


@pytest.mark.parametrize("bad", ["1.2.3", "v1.2", "v1.2.3-rc1", "v1.2.3\n", "v01.2.x", "", "prod"])
def test_version_pattern_is_strict(bad):
    with pytest.raises(PipelineError, match="not of the form"):
        check_version(bad)


@pytest.mark.parametrize(("raw", "key"), [
    ({"artifact": "Model#1"}, "registry.artifact"),
    ({"stage": "prod#x"}, "registry.stage"),
    ({"branch": "main; rm -rf /"}, "registry.branch"),
    ({"branch": "../main"}, "registry.branch"),
    ({"first_version": "1.0"}, "registry.first_version"),
    ({"minor_when": ["weather"]}, "registry.minor_when"),
    ({"lock_timeout_s": -1}, "registry.lock_timeout_s"),
    ({"require_remote": "yes"}, "registry.require_remote"),
    ({"colour": "blue"}, "registry.colour"),
])
def test_bad_settings_name_the_key(raw, key):
    with pytest.raises(PipelineError, match=f"params.yaml: {key}"):
        settings_from(raw)


def test_settings_defaults_and_params_section(params):
    assert settings_from(None) == Settings()
    assert settings_from(params.extra.get("registry")).artifact == "model"
