"""Write (or check) docs/settings.md from the connectors' ``--about --format=markdown``.

The page is generated whole: a short preamble, then each connector's ``--about`` output with
its headings one level down (one ``#`` heading for the page) and named after the connector
(``### tap-lightspeed settings``), so that every anchor is unique and links to it work.
Usage::

    .venv/bin/python scripts/settings_docs.py          # rewrite docs/settings.md
    .venv/bin/python scripts/settings_docs.py --check  # exit 1 when docs/settings.md is stale
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "settings.md"
PLUGINS = ("tap-lightspeed", "target-lightspeed")
#: The command that regenerates the page, as the staleness check tells it.
COMMAND = ".venv/bin/python scripts/settings_docs.py"

_HEADING = re.compile(r"^(#{1,5}) (.+)$")

PREAMBLE = f"""\
# Settings

This page is the output of `tap-lightspeed --about --format=markdown` and
`target-lightspeed --about --format=markdown`. Do not edit it by hand: run
`{COMMAND}` to regenerate it (a test fails while it is stale).

- [tap-lightspeed](#tap-lightspeed): [capabilities](#tap-lightspeed-capabilities),
  [settings](#tap-lightspeed-settings)
- [target-lightspeed](#target-lightspeed): [capabilities](#target-lightspeed-capabilities),
  [settings](#target-lightspeed-settings)

Settings come from a JSON file (`--config config.json`), from the environment (`--config ENV`:
the connector's name and the setting's in capitals, `TAP_LIGHTSPEED_START_DATE`,
`TARGET_LIGHTSPEED_DRY_RUN`), or from Meltano, whose `meltano.yml` declares every one of them
(`meltano config tap-lightspeed set start_date 2024-01-01`, or the same environment
variables). A dotted name (`match_keys.customers`) is a key of an object setting.

The connection settings (`client_id` to `request_timeout`) are the same for both connectors.
Give the tap and the target the same `token_store`: see
[the token store](connecting.md#rotating-refresh-tokens-and-the-token-store).
"""


def about_markdown(plugin: str) -> str:
    """Return a plugin's ``--about --format=markdown`` (the executable beside this Python)."""
    executable = Path(sys.executable).parent / plugin
    return subprocess.run(
        [str(executable), "--about", "--format=markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def section(plugin: str, about: str) -> str:
    """Return a plugin's ``--about`` markdown with its headings one level down and unique.

    Args:
        plugin: The plugin's name.
        about: Its ``--about --format=markdown``.

    Returns:
        The section: ``## `plugin```, then ``### plugin capabilities``, ``### plugin settings``.

    Raises:
        SystemExit: The output has not the shape this script knows (the SDK changed it).
    """
    lines = []
    for line in about.strip().splitlines():
        heading = _HEADING.match(line)
        if heading is None:
            lines.append(line)
        elif len(heading.group(1)) == 1:
            lines.append(f"## {heading.group(2)}")
        else:
            level = "#" * (len(heading.group(1)) + 1)
            lines.append(f"{level} {plugin} {heading.group(2).lower()}")
    text = "\n".join(lines)
    for expected in (f"## `{plugin}`", f"### {plugin} settings\n\n| Setting |"):
        if expected not in text:
            missing = expected.splitlines()[0]
            msg = f"{plugin} --about --format=markdown changed shape: no {missing!r}"
            raise SystemExit(msg)
    return text


def render() -> str:
    """Return the whole settings page, from the connectors' current ``--about``."""
    sections = [section(plugin, about_markdown(plugin)) for plugin in PLUGINS]
    return "\n\n".join([PREAMBLE.rstrip(), *sections]) + "\n"


def main() -> int:
    """Rewrite or check docs/settings.md; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale page")
    parser.add_argument(
        "--page", type=Path, default=PAGE, help="the page (default: docs/settings.md)"
    )
    args = parser.parse_args()
    page: Path = args.page.resolve()
    shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
    fresh = render()
    if args.check:
        current = page.read_text(encoding="utf-8") if page.exists() else ""
        if fresh != current:
            print(
                f"{shown} is stale (it differs from the connectors' --about --format=markdown): "
                f"run `{COMMAND}` and commit the result"
            )
            return 1
        return 0
    page.parent.mkdir(exist_ok=True)
    page.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
