"""Fixtures of the fault suite: real sandbox servers, real connector processes, evidence.

Every sandbox started here is instrumented so that each client secret, access token and
refresh token it issues is remembered; every connector process writes its stdout and stderr to
files under the test's ``tmp_path``. The last module of the suite (``test_zz_secrets.py``)
scans all of it: no secret may appear anywhere except in a token store.

Layout of a test's work folder (``tmp_path``):

- ``inputs/``: what the test hands to the connectors (configs hold the client secret and the
  first refresh token by necessity); not scanned;
- ``tokens/``: token stores (and their locks and temporary files); not scanned;
- everything else (captured output, STATE files, ledgers, rejects): scanned.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import target_settings as shared_target_settings
from tests.target.conftest import SHARED_IDS

if TYPE_CHECKING:
    from lightspeed_sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalog" / "catalog.json"
BIN = Path(sys.executable).parent
TAP = str(BIN / "tap-lightspeed")
TARGET = str(BIN / "target-lightspeed")
STREAM_ENTITIES = {"customers": "Customer", "items": "Item", "images": "Image", "sales": "Sale"}
ENTITY_KEYS = {"Customer": "customerID", "Item": "itemID", "Image": "imageID", "Sale": "saleID"}
#: Longest any single connector process may run in this suite before the test fails.
PROCESS_TIMEOUT = 180.0


@dataclass
class Evidence:
    """Everything the suite's processes printed or wrote, and every secret that was issued."""

    secrets: set[str] = field(default_factory=set)
    roots: list[Path] = field(default_factory=list)
    excluded: list[Path] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)
    token_stores: list[Path] = field(default_factory=list)

    def add_text(self, label: str, text: str) -> None:
        """Remember a text (captured logs) for the secrets scan."""
        if text:
            self.texts.append((label, text))

    def files(self) -> list[Path]:
        """Every file under the registered roots, minus the excluded folders."""
        found = []
        for root in self.roots:
            for path in sorted(root.rglob("*")):
                if not path.is_file():
                    continue
                if any(path.is_relative_to(ex) for ex in self.excluded):
                    continue
                found.append(path)
        return found


@pytest.fixture(scope="session")
def evidence() -> Evidence:
    """The session's evidence, shared by every test of the suite."""
    return Evidence()


@pytest.fixture(autouse=True)
def _collect_logs(caplog: pytest.LogCaptureFixture, evidence: Evidence, request: Any) -> Iterator:
    """Keep each test's captured log records (the in-process sandboxes log there)."""
    yield
    evidence.add_text(f"caplog:{request.node.nodeid}", caplog.text)


@dataclass
class Workdir:
    """A test's work folder, split into inputs, token stores and outputs."""

    root: Path

    @property
    def inputs(self) -> Path:
        """Configs and catalogs handed to the connectors."""
        return self.root / "inputs"

    @property
    def tokens(self) -> Path:
        """Token stores."""
        return self.root / "tokens"

    @property
    def out(self) -> Path:
        """Captured output, STATE files, ledgers and rejects."""
        return self.root / "out"

    def write_input(self, name: str, data: Any) -> Path:
        """Write a JSON input file and return its path."""
        path = self.inputs / name
        path.write_text(json.dumps(data, indent=2))
        return path


@pytest.fixture
def work(tmp_path: Path, evidence: Evidence) -> Workdir:
    """The test's work folder, registered for the secrets scan."""
    wd = Workdir(tmp_path)
    for folder in (wd.inputs, wd.tokens, wd.out):
        folder.mkdir()
    evidence.roots.append(tmp_path)
    evidence.excluded += [wd.inputs, wd.tokens]
    return wd


def instrument(sb: Sandbox, evidence: Evidence) -> None:
    """Remember every secret the sandbox's OAuth server hands out."""
    oauth = sb.app.oauth
    evidence.secrets.add(sb.client_secret)
    issue, new_refresh = oauth._issue, oauth.new_refresh_token

    def recording_issue(*args: Any, **kwargs: Any) -> dict[str, Any]:
        payload = issue(*args, **kwargs)
        evidence.secrets.update((payload["access_token"], payload["refresh_token"]))
        return payload

    def recording_refresh(*args: Any, **kwargs: Any) -> Any:
        rt = new_refresh(*args, **kwargs)
        evidence.secrets.add(rt.token)
        return rt

    oauth._issue = recording_issue
    oauth.new_refresh_token = recording_refresh


@pytest.fixture
def sandbox_factory(
    sandbox_factory: Callable[..., Sandbox], evidence: Evidence
) -> Callable[..., Sandbox]:
    """The shared ``sandbox_factory`` (tests/conftest.py), instrumented before each start."""

    def start(config: SandboxConfig | None = None, **fields: Any) -> Sandbox:
        sb = sandbox_factory(config, start=False, **fields)
        instrument(sb, evidence)
        return sb.start()

    return start


def register_token_store(evidence: Evidence, config: dict) -> None:
    """Remember a config's token store (the one place secrets may live)."""
    evidence.token_stores.append(Path(config["token_store"]))


# -- processes --------------------------------------------------------------------------------


@dataclass
class Run:
    """A finished connector process."""

    returncode: int
    stdout: Path
    stderr: Path
    killed: bool = False

    def messages(self) -> list[dict]:
        """The Singer messages printed (a torn last line, after a SIGKILL, is skipped)."""
        out = []
        for line in self.stdout.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def stderr_text(self) -> str:
        """What the process wrote to stderr."""
        return self.stderr.read_text(errors="replace")


def child_env() -> dict[str, str]:
    """Environment of connector processes: unbuffered, no user state folder."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def running(cmd: list[str], *, stdin: Any = None, stdout: Any, stderr: Any) -> Iterator:
    """Start a process and make sure it is gone afterwards."""
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=stderr, env=child_env())
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def run_tap(
    work: Workdir,
    label: str,
    config: Path,
    catalog: Path = CATALOG,
    state: Path | None = None,
    kill_after_records: int | None = None,
) -> Run:
    """Run ``tap-lightspeed`` to the end, or SIGKILL it after a number of RECORD lines.

    Its stdout is read line by line (and kept in ``out/<label>.stdout``), so the kill lands
    exactly after the chosen record was printed.
    """
    cmd = [TAP, "--config", str(config), "--catalog", str(catalog)]
    if state is not None:
        cmd += ["--state", str(state)]
    out_path = work.out / f"{label}.stdout"
    err_path = work.out / f"{label}.stderr"
    killed = False
    deadline = time.monotonic() + PROCESS_TIMEOUT
    with (
        open(out_path, "wb") as out,
        open(err_path, "wb") as err,
        running(cmd, stdout=subprocess.PIPE, stderr=err) as proc,
    ):
        assert proc.stdout is not None
        records = 0
        for line in proc.stdout:
            out.write(line)
            if b'"type":"RECORD"' in line or b'"type": "RECORD"' in line:
                records += 1
                if kill_after_records is not None and records >= kill_after_records:
                    out.flush()
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
            assert time.monotonic() < deadline, f"{label} ran longer than {PROCESS_TIMEOUT} s"
        returncode = proc.wait(timeout=PROCESS_TIMEOUT)
    return Run(returncode, out_path, err_path, killed)


def run_target(work: Workdir, label: str, config: Path, source: Path) -> Run:
    """Run ``target-lightspeed`` to the end on an input file (output kept under ``out/``)."""
    out_path = work.out / f"{label}.stdout"
    err_path = work.out / f"{label}.stderr"
    cmd = [TARGET, "--config", str(config)]
    with (
        open(source, "rb") as stdin,
        open(out_path, "wb") as out,
        open(err_path, "wb") as err,
        running(cmd, stdin=stdin, stdout=out, stderr=err) as proc,
    ):
        returncode = proc.wait(timeout=PROCESS_TIMEOUT)
    return Run(returncode, out_path, err_path)


def last_state(messages: list[dict]) -> dict | None:
    """The value of the last STATE message, if any."""
    states = [m["value"] for m in messages if m.get("type") == "STATE"]
    return states[-1] if states else None


def record_ids(messages: list[dict]) -> dict[str, set[int]]:
    """Primary keys of the RECORD messages, per stream."""
    ids: dict[str, set[int]] = {name: set() for name in STREAM_ENTITIES}
    for m in messages:
        if m.get("type") == "RECORD" and m["stream"] in STREAM_ENTITIES:
            key = ENTITY_KEYS[STREAM_ENTITIES[m["stream"]]]
            ids[m["stream"]].add(int(m["record"][key]))
    return ids


def sandbox_ids(sb: Sandbox, account_id: str) -> dict[str, set[int]]:
    """Primary keys of every record the sandbox holds, per tap stream."""
    return {
        stream: {int(r[ENTITY_KEYS[entity]]) for r in sb.records(account_id, entity)}
        for stream, entity in STREAM_ENTITIES.items()
    }


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition (every 20 ms) until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def target_settings(sb: Sandbox, work: Workdir, account: int, **extra: Any) -> dict[str, Any]:
    """target-lightspeed settings for a sandbox account, with files under ``work``."""
    settings = {
        "token_store": work.tokens / "tokens.json",
        "max_retries": 8,
        "keep_foreign_keys": SHARED_IDS,
        **extra,
    }
    return shared_target_settings(sb, account, folder=work.out, **settings)
