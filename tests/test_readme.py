"""The README's settings tables are the plugins' own `--about --format=markdown` output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_tables_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_settings.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_of_both_connectors_is_in_the_readme():
    from tap_lightspeed.tap import TapLightspeed
    from target_lightspeed.target import TargetLightspeed

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for plugin in (TapLightspeed, TargetLightspeed):
        for name in plugin.config_jsonschema["properties"]:
            assert f"| {name} |" in readme, f"{plugin.name}: {name}"
