"""Reading the Singer input: a line that is not a usable Singer message is skipped, not fatal.

The SDK's readers stop the whole run (with a traceback) at the first line they cannot use: a
line that is not JSON (or holds ``NaN``), a message of an unknown type, a RECORD before its
stream's SCHEMA, a RECORD whose ``record`` is not an object. Everything read before that line
but not yet drained is then lost. :class:`CheckedReader` checks every message *before* the
target acts on it; a broken line goes to a handler (the target logs it with its line number,
puts it in the rejects file and goes on) and the good lines around it are processed as usual.
"""

from __future__ import annotations

import re
import sys
import typing as t
from collections import Counter, defaultdict
from collections.abc import Callable

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecReader, decoder
from singer_sdk.io_base import SingerMessageType
from singer_sdk.singerlib.exceptions import InvalidInputLine

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

#: Keys each message type must have (beyond ``type``).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    SingerMessageType.RECORD: ("stream", "record"),
    SingerMessageType.SCHEMA: ("stream", "schema"),
    SingerMessageType.STATE: ("value",),
    SingerMessageType.ACTIVATE_VERSION: ("stream", "version"),
    SingerMessageType.BATCH: ("stream", "encoding", "manifest"),
}
#: Message types that refer to a stream whose SCHEMA must have come first.
NEEDS_SCHEMA = frozenset(
    {SingerMessageType.RECORD, SingerMessageType.ACTIVATE_VERSION, SingerMessageType.BATCH}
)

_NOT_JSON_NUMBER = re.compile(r"[:\[,]\s*-?(NaN|Infinity)\b")

#: Called with the line number (from 1), the line, the problem and the stream (if known).
BadLineHandler = Callable[[int, str, str, "str | None"], None]


class UnreadableLineError(Exception):
    """A line is not a Singer message the target can act on."""

    def __init__(self, problem: str, stream: str | None = None) -> None:
        """Create the error.

        Args:
            problem: What is wrong, e.g. ``unable to parse line as JSON (...)``.
            stream: The stream the line names, when it names one.
        """
        super().__init__(problem)
        self.problem = problem
        self.stream = stream


def _kind(value: t.Any) -> str:
    if value is None:
        return "null"
    return {list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


class CheckedReader(MsgSpecReader):
    """The SDK's msgspec reader, checking each message before it is dispatched.

    Attributes:
        on_bad_line: Receives each unusable line; None raises
            :class:`~singer_sdk.singerlib.exceptions.InvalidInputLine` (the SDK's behaviour).
        line_number: Number of the line being processed (from 1; 0 before the first).
        streams_with_schema: Streams whose SCHEMA message was processed.
    """

    def __init__(self) -> None:
        """Create the reader."""
        super().__init__()
        self.on_bad_line: BadLineHandler | None = None
        self.line_number = 0
        self.streams_with_schema: set[str] = set()

    @override
    def deserialize_json(self, line: str) -> dict:
        """Decode one line (numbers as Decimal, as the SDK's msgspec reader does).

        Unlike the SDK's reader it does not log the line with a traceback: the caller
        reports the problem once, with the line number.

        Args:
            line: The line.

        Returns:
            The decoded JSON value.

        Raises:
            InvalidInputLine: Not JSON (``NaN`` and ``Infinity`` are not JSON either).
        """
        try:
            return decoder.decode(line)  # type: ignore[no-any-return]
        except msgspec.DecodeError as exc:
            msg = f"unable to parse line as JSON ({exc})"
            raise InvalidInputLine(msg) from None

    def check(self, line: str, known_types: t.Collection[str]) -> dict:
        """Decode a line and check that it is a message the target can act on.

        Args:
            line: The line.
            known_types: The message types the target handles.

        Returns:
            The message.

        Raises:
            UnreadableLineError: What is wrong with the line.
        """
        try:
            message = self.deserialize_json(line)
        except InvalidInputLine as exc:
            problem = str(exc)
            if _NOT_JSON_NUMBER.search(line):
                problem += "; NaN and Infinity are not JSON numbers"
            raise UnreadableLineError(problem) from None
        if not isinstance(message, dict):
            msg = f"a Singer message is a JSON object, this line holds {_kind(message)}"
            raise UnreadableLineError(msg)
        kind = message.get("type")
        stream = message.get("stream")
        stream_name = stream if isinstance(stream, str) else None
        if kind is None:
            raise UnreadableLineError("the message has no 'type'", stream_name)
        if not isinstance(kind, str) or kind not in known_types:
            msg = f"Unknown message type {kind!r} (expected one of {', '.join(known_types)})"
            raise UnreadableLineError(msg, stream_name)
        missing = [key for key in REQUIRED_KEYS.get(kind, ()) if key not in message]
        if missing:
            msg = f"the {kind} message has no {', '.join(repr(k) for k in missing)}"
            raise UnreadableLineError(msg, stream_name)
        if "stream" in REQUIRED_KEYS.get(kind, ()) and stream_name is None:
            msg = f"the {kind} message's 'stream' is {_kind(stream)}, not a stream name"
            raise UnreadableLineError(msg)
        if kind == SingerMessageType.SCHEMA:
            self._check_schema(message)
        elif kind in NEEDS_SCHEMA and stream_name not in self.streams_with_schema:
            msg = (
                f"a {kind} for stream '{stream_name}' was encountered before a corresponding schema"
            )
            raise UnreadableLineError(msg, stream_name)
        if kind == SingerMessageType.RECORD and not isinstance(message["record"], dict):
            msg = (
                f"the 'record' of this RECORD of stream '{stream_name}' is "
                f"{_kind(message['record'])}, not an object"
            )
            raise UnreadableLineError(msg, stream_name)
        return message

    @staticmethod
    def _check_schema(message: dict) -> None:
        stream = message["stream"]
        schema = message["schema"]
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            msg = f"the SCHEMA of stream '{stream}' is not a JSON schema with 'properties'"
            raise UnreadableLineError(msg, stream)
        keys = message.get("key_properties")
        if keys is not None and (
            not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
        ):
            msg = f"the SCHEMA of stream '{stream}': 'key_properties' is not a list of names"
            raise UnreadableLineError(msg, stream)

    @override
    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        """Dispatch each line to its callback; hand unusable lines to :attr:`on_bad_line`.

        Blank lines are passed over. Errors raised by the callbacks (a failed write, an
        unmapped stream) are not caught here.

        Args:
            file_input: The input (default: standard input).
            callbacks: Message type -> callback.

        Returns:
            Counts per message type, plus ``unreadable`` lines.

        Raises:
            InvalidInputLine: An unusable line and no :attr:`on_bad_line`.
        """
        stats: dict[str, int] = defaultdict(int)
        source = file_input or self.default_input
        known = tuple(callbacks)
        for number, line in enumerate(source, start=1):
            self.line_number = number
            self._current_message = line
            if not line.strip():
                continue
            try:
                message = self.check(line, known)
            except UnreadableLineError as exc:
                if self.on_bad_line is None:
                    msg = f"Line {number}: {exc.problem}"
                    raise InvalidInputLine(msg) from None
                self.on_bad_line(number, line, exc.problem, exc.stream)
                stats["unreadable"] += 1
                continue
            kind = message["type"]
            callbacks[kind](message)
            if kind == SingerMessageType.SCHEMA:
                self.streams_with_schema.add(message["stream"])
            stats[kind] += 1
        return Counter(**stats)
