"""The README's stream table is the tap's own (scripts/stream_table.py) and matches the catalog."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "stream_table.py"
ROW = re.compile(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+?) \| (yes|\*\*no\*\*) \|$")


def _readme_rows() -> dict[str, tuple[str, str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- streams:start -->")[1].split("<!-- streams:end -->")[0]
    rows = {}
    for line in table.splitlines():
        match = ROW.match(line)
        if match:
            name, endpoint, key, replication, default = match.groups()
            rows[name] = (endpoint, key, replication, default)
    return rows


def test_the_stream_table_is_current():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stream_table_agrees_with_the_stored_catalog():
    catalog = json.loads((ROOT / "catalog" / "catalog.json").read_text(encoding="utf-8"))
    rows = _readme_rows()
    assert set(rows) == {entry["tap_stream_id"] for entry in catalog["streams"]}
    for entry in catalog["streams"]:
        stream = entry["tap_stream_id"]
        _endpoint, key, replication, default = rows[stream]
        top = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        keys = [k for k in top["table-key-properties"] if k != "account_id"]
        assert key == ", ".join(f"`{k}`" for k in keys), stream
        assert top["table-key-properties"][0] == "account_id", stream
        rep_key = entry.get("replication_key")
        expected = f"incremental, `{rep_key}`" if rep_key else "full table"
        assert replication == expected, stream
        assert default == ("yes" if top["selected-by-default"] else "**no**"), stream


def test_the_check_fails_on_a_stale_table(tmp_path, monkeypatch):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import stream_table
    finally:
        sys.path.remove(str(SCRIPT.parent))
    readme = tmp_path / "README.md"
    current = (ROOT / "README.md").read_text(encoding="utf-8")
    readme.write_text(current.replace("| `sales` | `Sale.json` |", "| `sales` | `Sales.json` |"))
    monkeypatch.setattr(stream_table, "README", readme)
    monkeypatch.setattr(sys, "argv", ["stream_table.py", "--check"])
    assert stream_table.main() == 1
    monkeypatch.setattr(sys, "argv", ["stream_table.py"])
    assert stream_table.main() == 0
    assert readme.read_text(encoding="utf-8") == current
