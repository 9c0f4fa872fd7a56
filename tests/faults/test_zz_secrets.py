"""Secrets: no client secret, access token or refresh token outside the token stores.

This module runs last in the suite (file order). It scans everything the suite's connector
processes printed (stdout and stderr captured to files), every file they wrote (STATE, ledgers,
rejects, inputs given to the target) except token stores and the configs handed to them, and
the log records captured from the in-process sandboxes. The secrets are every client secret,
access token and refresh token the instrumented sandboxes issued (see ``conftest.instrument``).

Run alone, it first runs its own tap and target sync (with expiring tokens, so many tokens are
issued) so that it always has something to scan.
"""

from __future__ import annotations

import json

from lightspeed_sandbox import two_accounts
from tests.faults.conftest import TARGET, register_token_store, run_tap, running


def own_workload(sandbox_factory, work, evidence) -> None:
    """A tap and a target run with tokens expiring every half second and 5xx faults."""
    sb = sandbox_factory(two_accounts(seed=8, customers=200, items=60, sales=60))
    tap_config = sb.connection_settings(
        0, work.tokens / "tap.json", discover_account=True, page_size=20
    )
    register_token_store(evidence, tap_config)
    sb.set_faults(expire_tokens_every=0.5, error_rate=0.05, seed=1)
    run = run_tap(work, "tap", work.write_input("tap.json", tap_config))
    assert run.returncode == 0, run.stderr_text()[-3000:]
    lines = [json.dumps(m) for m in run.messages() if m.get("stream") in ("customers", "items")]
    (work.out / "input.jsonl").write_text("\n".join(lines) + "\n")
    target_config = sb.connection_settings(
        1,
        work.tokens / "target.json",
        ledger_path=str(work.out / "ledger.sqlite3"),
        rejects_path=str(work.out / "rejects.jsonl"),
        progress_interval=0,
    )
    register_token_store(evidence, target_config)
    path = work.write_input("target.json", target_config)
    with (
        open(work.out / "input.jsonl", "rb") as stdin,
        open(work.out / "target.stdout", "wb") as out,
        open(work.out / "target.stderr", "wb") as err,
        running([TARGET, "--config", str(path)], stdin=stdin, stdout=out, stderr=err) as proc,
    ):
        assert proc.wait(timeout=180) == 0, (work.out / "target.stderr").read_text()[-3000:]
    sb.clear_faults()


def test_no_secret_appears_outside_the_token_stores(sandbox_factory, work, evidence, caplog):
    own_workload(sandbox_factory, work, evidence)
    evidence.add_text("caplog:own workload", caplog.text)

    secrets = {s for s in evidence.secrets if s and len(s) >= 16}
    assert len(secrets) >= 10, "the sandboxes issued too few tokens for a meaningful scan"
    files = evidence.files()
    assert len(files) >= 4
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks += [f"{path}: {s[:12]}..." for s in secrets if s.encode() in data]
    for label, text in evidence.texts:
        leaks += [f"{label}: {s[:12]}..." for s in secrets if s in text]
    assert not leaks, "secrets found outside the token stores:\n" + "\n".join(leaks[:20])

    # The control: the scanner does find the tokens where they are meant to be.
    stores = [p for p in evidence.token_stores if p.exists()]
    assert stores
    in_stores = sum(1 for p in stores for s in secrets if s.encode() in p.read_bytes())
    assert in_stores >= len(stores)
