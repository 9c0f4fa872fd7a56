"""Write (or check) docs/settings.md and meltano.yml's setting descriptions from ``--about``.

The page is generated whole: a short preamble, then each connector's ``--about`` output with
its headings one level down (one ``#`` heading for the page) and named after the connector
(``### tap-lightspeed settings``), so that every anchor is unique and links to it work.
In ``meltano.yml`` the ``description`` of each of the two connectors' settings is rewritten to
the one in its ``--about`` (the rest of the file, comments included, is left as it is), so that
``meltano config`` and Meltano's UI say what the connector says. Usage::

    .venv/bin/python scripts/settings_docs.py          # rewrite both
    .venv/bin/python scripts/settings_docs.py --check  # exit 1 when either is stale
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "settings.md"
MELTANO_YML = ROOT / "meltano.yml"
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


def about(plugin: str, output_format: str) -> str:
    """Return a plugin's ``--about --format=<output_format>`` (its executable beside Python)."""
    executable = Path(sys.executable).parent / plugin
    return subprocess.run(
        [str(executable), "--about", f"--format={output_format}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def about_descriptions(plugin: str) -> dict[str, str]:
    """Return each setting's description in a plugin's ``--about``, on one line."""
    properties = json.loads(about(plugin, "json"))["settings"]["properties"]
    return {
        name: " ".join(prop.get("description", "").split()) for name, prop in properties.items()
    }


_PLUGIN_ENTRY = re.compile(r"^  - name: (\S+)$")
_SETTING_ENTRY = re.compile(r"^(    - )name: (\S+)$")
_DESCRIPTION = re.compile(r"^      description:")


def _description_lines(text: str) -> list[str]:
    """Return a ``description:`` entry of a meltano.yml setting, folded at 100 columns."""
    wrapped = textwrap.wrap(text, width=92, break_long_words=False, break_on_hyphens=False)
    return ["      description: >-", *(f"        {line}" for line in wrapped)]


def sync_meltano(text: str, descriptions: dict[str, dict[str, str]]) -> str:
    """Return meltano.yml with the given plugins' setting descriptions replaced.

    Args:
        text: meltano.yml as it is.
        descriptions: Per plugin name, each setting's description from ``--about``.

    Returns:
        The file with each ``description`` of those plugins' ``settings`` rewritten in place (a
        setting without one gets one after its other keys); every other line is kept.
    """
    out: list[str] = []
    plugin: str | None = None
    setting: str | None = None
    described = False
    lines = text.splitlines()
    index = 0

    def new_description() -> list[str]:
        wanted = descriptions[plugin].get(setting or "") if plugin in descriptions else None
        return _description_lines(wanted) if wanted else []

    def close_setting() -> None:
        nonlocal setting
        if setting is not None and not described:
            out.extend(new_description())
        setting = None

    while index < len(lines):
        line = lines[index]
        plugin_entry = _PLUGIN_ENTRY.match(line)
        setting_entry = _SETTING_ENTRY.match(line)
        in_setting = setting is not None and line.startswith("      ")
        if in_setting and _DESCRIPTION.match(line):
            out.extend(new_description() or [line])
            described = True
            index += 1  # the old description's folded lines go with it
            while index < len(lines) and lines[index].startswith("        "):
                if not new_description():
                    out.append(lines[index])
                index += 1
            continue
        if not in_setting:
            close_setting()
            described = False
        if plugin_entry:
            plugin = plugin_entry.group(1)
        elif setting_entry and plugin in descriptions:
            setting = setting_entry.group(2)
        out.append(line)
        index += 1
    close_setting()
    return "\n".join(out) + "\n"


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
    sections = [section(plugin, about(plugin, "markdown")) for plugin in PLUGINS]
    return "\n\n".join([PREAMBLE.rstrip(), *sections]) + "\n"


def main() -> int:
    """Rewrite or check docs/settings.md; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale page")
    parser.add_argument(
        "--page", type=Path, default=PAGE, help="the page (default: docs/settings.md)"
    )
    parser.add_argument(
        "--meltano-yml", type=Path, default=MELTANO_YML, help="the Meltano project file"
    )
    args = parser.parse_args()
    page: Path = args.page.resolve()
    project: Path = args.meltano_yml.resolve()
    current_project = project.read_text(encoding="utf-8")
    outputs = {
        page: render(),
        project: sync_meltano(
            current_project, {plugin: about_descriptions(plugin) for plugin in PLUGINS}
        ),
    }
    if args.check:
        stale = [
            path
            for path, fresh in outputs.items()
            if fresh != (path.read_text(encoding="utf-8") if path.exists() else "")
        ]
        for path in stale:
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(
                f"{shown} is stale (it differs from the connectors' --about): "
                f"run `{COMMAND}` and commit the result"
            )
        return 1 if stale else 0
    page.parent.mkdir(exist_ok=True)
    for path, fresh in outputs.items():
        path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
