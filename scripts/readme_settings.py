"""Regenerate (or check) the settings tables in README.md from ``--about --format=markdown``.

Each plugin's table sits between ``<!-- settings:PLUGIN:start -->`` and
``<!-- settings:PLUGIN:end -->``. Usage::

    .venv/bin/python scripts/readme_settings.py          # rewrite README.md
    .venv/bin/python scripts/readme_settings.py --check  # exit 1 when README.md is stale
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PLUGINS = ("tap-lightspeed", "target-lightspeed")


def settings_table(plugin: str) -> str:
    """Return the settings table of a plugin's ``--about --format=markdown``."""
    executable = Path(sys.executable).parent / plugin
    about = subprocess.run(
        [str(executable), "--about", "--format=markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^## Settings\n\n(.*?)(?=\n\n)", about, flags=re.S | re.M)
    if match is None:
        msg = f"{plugin} --about --format=markdown has no settings table"
        raise SystemExit(msg)
    return match.group(1).strip()


def render(readme: str) -> str:
    """Return the README with every plugin's table replaced by the current one."""
    for plugin in PLUGINS:
        pattern = re.compile(
            rf"(<!-- settings:{plugin}:start -->\n)(?:.*?\n)?(<!-- settings:{plugin}:end -->)",
            flags=re.S,
        )
        if pattern.search(readme):
            table = settings_table(plugin)
            readme = pattern.sub(lambda m, t=table: f"{m.group(1)}{t}\n{m.group(2)}", readme)
    return readme


def main() -> int:
    """Rewrite or check README.md; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale README")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print("README.md settings tables are stale: run scripts/readme_settings.py")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
