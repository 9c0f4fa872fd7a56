"""Fixtures every suite shares: sandboxes started for a test and stopped after it.

The setup of "a sandbox with two accounts" is :func:`lightspeed_sandbox.two_accounts` (the
configuration) plus the fixtures below (the lifecycle); the settings that connect a tap or a
target to one of its accounts are :meth:`lightspeed_sandbox.Sandbox.connection_settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig, two_accounts


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
