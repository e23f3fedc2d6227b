"""The project's params.yaml, whatever data it describes: every section loads."""

from __future__ import annotations

from mlproject import gate, report
from mlproject.registry import settings_from


def test_every_section_loads(project_params):
    assert project_params.features
    assert project_params.data.target.column not in project_params.features
    gate.load_rules(project_params)
    assert report.load_config(project_params)["headline"]
    settings_from(project_params.extra.get("registry"))


def test_slices_and_rules_name_real_columns(project_params):
    """A slice or a rule over a column the data no longer has would silently judge nothing."""
    for name in project_params.evaluate.slices:
        assert name in project_params.categorical_features
    for condition in project_params.baseline.rule:
        assert condition.column in project_params.features
