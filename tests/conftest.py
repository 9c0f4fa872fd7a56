"""Fixtures every suite shares: sandboxes started for a test and stopped after it.

The setup of "a sandbox with two accounts" is :func:`lightspeed_sandbox.two_accounts` (the
configuration) plus the fixtures below (the lifecycle); the settings that connect a tap or a
target to one of its accounts are :meth:`lightspeed_sandbox.Sandbox.connection_settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig, two_accounts


def target_settings(
    sb: Sandbox, account: int, token_store: Path, folder: Path, **extra: Any
) -> dict[str, Any]:
    """target-lightspeed settings for a sandbox account: ledger and rejects in ``folder``.

    The default employee, register, shop and payment type are 1 (each account has them);
    ``extra`` adds settings or replaces these (``base_url``: see
    ``Sandbox.connection_settings``).
    """
    defaults: dict[str, Any] = {
        "ledger_path": str(folder / "ledger.sqlite3"),
        "rejects_path": str(folder / "rejects.jsonl"),
        "progress_interval": 0,
        "default_employee_id": 1,
        "default_register_id": 1,
        "default_shop_id": 1,
        "default_payment_type_id": 1,
    }
    return sb.connection_settings(account, token_store, **{**defaults, **extra})


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Make sandboxes on 127.0.0.1 for one test; every one is stopped after the test.

    The factory takes a :class:`SandboxConfig` and/or its fields as keywords, and
    ``start=False`` for a sandbox that does not listen yet (or never: requests-mock).
    """
    made: list[Sandbox] = []

    def make(config: SandboxConfig | None = None, *, start: bool = True, **fields: Any) -> Sandbox:
        sb = Sandbox(config, **fields)
        made.append(sb)
        return sb.start() if start else sb

    yield make
    for sb in made:
        sb.stop()


@pytest.fixture
def two_account_sandbox(sandbox_factory: Callable[..., Sandbox]) -> Callable[..., Sandbox]:
    """Make a sandbox with two accounts, the second empty, bucket off (see ``two_accounts``).

    The factory takes ``start`` (as ``sandbox_factory``) and the fields of ``two_accounts``.
    """

    def make(*, start: bool = True, **fields: Any) -> Sandbox:
        return sandbox_factory(two_accounts(**fields), start=start)

    return make
