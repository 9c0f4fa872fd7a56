"""meltano.yml declares the connectors' settings exactly as their config schemas do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"string": "string", "integer": "integer", "number": "decimal", "boolean": "boolean"}


def plugin(name: str) -> dict:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    for group in project["plugins"].values():
        for entry in group:
            if entry["name"] == name:
                return entry
    raise AssertionError(f"{name} is not in meltano.yml")


def about_settings(name: str) -> dict:
    """The settings the connector announces in ``--about`` (its own and the SDK's)."""
    executable = Path(sys.executable).parent / name
    about = subprocess.run(
        [str(executable), "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    return json.loads(about.stdout)["settings"]["properties"]


def main_type(prop: dict) -> str:
    kind = prop.get("type", "object")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if k != "null"]
    return kinds[0] if kinds else "string"


@pytest.mark.parametrize("name", ["tap-lightspeed", "target-lightspeed"])
def test_meltano_settings_match_the_config_schema(name):
    declared = {setting["name"]: setting for setting in plugin(name)["settings"]}
    schema = about_settings(name)
    missing = sorted(set(schema) - set(declared))
    assert not missing, f"settings missing from meltano.yml: {missing}"
    unknown = sorted(set(declared) - set(schema))
    assert not unknown, f"meltano.yml settings the connector does not know: {unknown}"
    for key, setting in declared.items():
        prop = schema[key]
        assert bool(setting.get("sensitive")) == bool(prop.get("secret")), key
        assert setting.get("label"), f"{key} has no label"
        assert " ".join(setting.get("description", "").split()) == " ".join(
            prop.get("description", "").split()
        ), f"{key}: meltano.yml's description is not --about's (run scripts/settings_docs.py)"
        expected_kind = KINDS.get(main_type(prop), main_type(prop))
        if prop.get("format") == "date-time":
            expected_kind = "date_iso8601"
        if "enum" in prop:
            expected_kind = "options"
        assert setting.get("kind") == expected_kind, f"{key}: {setting.get('kind')}"


def test_target_postgres_settings_are_the_loaders_own():
    """target-postgres knows every setting meltano.yml gives it; its secrets are sensitive."""
    executable = ROOT / ".meltano/loaders/target-postgres/venv/bin/target-postgres-typed"
    if not executable.exists():
        pytest.fail("target-postgres is not installed: run scripts/test, which installs it")
    about = subprocess.run(
        [str(executable), "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    schema = json.loads(about.stdout)["settings"]["properties"]
    declared = {setting["name"]: setting for setting in plugin("target-postgres")["settings"]}
    unknown = sorted(set(declared) - set(schema))
    assert not unknown, f"meltano.yml settings target-postgres does not know: {unknown}"
    for key, setting in declared.items():
        if schema[key].get("secret") or key in {"password", "sqlalchemy_url"}:
            assert setting.get("sensitive") is True, key
