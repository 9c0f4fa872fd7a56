"""Write (or check) the README's stream table from the tap's own streams.

The table between the README's ``<!-- streams:start -->`` and ``<!-- streams:end -->``
markers is generated whole from the tap (the stream classes, the same ones discovery uses):
stream, endpoint, primary key, replication and whether the stream is selected by default.
The reasons for each default are written by hand in docs/tap.md. Usage::

    .venv/bin/python scripts/stream_table.py          # rewrite the table
    .venv/bin/python scripts/stream_table.py --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tap_lightspeed.streams import (
    DERIVED_STREAM_TYPES,
    STREAM_TYPES,
    CreditAccountsStream,
    LightspeedStream,
    RelationStream,
)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- streams:start -->"
END = "<!-- streams:end -->"
#: The command that regenerates the table, as the staleness check tells it.
COMMAND = ".venv/bin/python scripts/stream_table.py"


def _endpoint(stream: type[LightspeedStream] | type[RelationStream]) -> str:
    if issubclass(stream, RelationStream):
        parent = stream.parent_stream_type
        return f"none: `{stream.relation}` of `{parent.name}`"
    if stream is CreditAccountsStream:
        return f"`{stream.path.lstrip('/')}`, twice (`giftCard=true`)"
    return f"`{stream.path.lstrip('/')}`"


def _replication(stream: type[LightspeedStream] | type[RelationStream]) -> str:
    key = stream.replication_key
    return f"incremental, `{key}`" if key else "full table"


def _ordered() -> list[type[LightspeedStream] | type[RelationStream]]:
    """Every stream, each derived stream right after the stream it is read from."""
    derived: dict[str, list[type[RelationStream]]] = {}
    for stream in DERIVED_STREAM_TYPES:
        derived.setdefault(stream.parent_stream_type.name, []).append(stream)
    out: list[type[LightspeedStream] | type[RelationStream]] = []
    for stream in STREAM_TYPES:
        out.append(stream)
        out.extend(derived.get(stream.name, []))
    return out


def table() -> str:
    """Return the stream table (markdown), one row per stream."""
    rows = [
        "| Stream | Endpoint | Primary key (after `account_id`) | Replication "
        "| Selected by default |",
        "|:--|:--|:--|:--|:--|",
    ]
    for stream in _ordered():
        key = ", ".join(f"`{k}`" for k in stream.primary_keys or ())
        default = "yes" if stream.selected_by_default else "**no**"
        cells = (f"`{stream.name}`", _endpoint(stream), key, _replication(stream), default)
        rows.append(f"| {' | '.join(cells)} |")
    return "\n".join(rows) + "\n"


def render(readme: str) -> str:
    """Return the README text with its stream table replaced by the generated one."""
    head, found, rest = readme.partition(START)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README.md lacks the {START} ... {END} markers")
    return f"{head}{START}\n{table()}{END}{tail}"


def main() -> int:
    """Rewrite the README's stream table, or check it (``--check``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the table is stale")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if current != wanted:
            print(f"README.md's stream table is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
