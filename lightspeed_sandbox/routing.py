"""Route tables: a path template and its handlers per HTTP method, matched in order.

A template is a path with ``{name}`` or ``{name:kind}`` placeholders: ``{name}`` matches one
path segment, ``{name:kind}`` the regular expression the table gives for ``kind``; either way
the matched text is the parameter ``name``. The first route
whose template matches the whole path and that has a handler for the method wins; when routes
match the path but none takes the method, the first of them is returned without a handler, so
that the caller can answer 405 with that route's refusal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SEGMENT = "[^/]+"
ANY_METHOD = "*"


@dataclass(frozen=True)
class Route:
    """One path template and what serves it.

    Attributes:
        template: The path template, e.g. ``/Account/{account}/{entity}/{id}``.
        pattern: The template compiled (the whole path must match).
        handlers: HTTP method (``"*"``: any) -> name of the handler.
        refusal: The 405 message for other methods (``{method}`` and the placeholders are
            filled in); empty where the table has a catch-all further down.
        scope: The entity whose OAuth scope the route needs (``None``: none); may be a
            placeholder such as ``{entity}``.
    """

    template: str
    pattern: re.Pattern[str]
    handlers: Mapping[str, str]
    refusal: str = ""
    scope: str | None = None

    def handler(self, method: str) -> str | None:
        """Return the name of the handler for a method, if the route takes it."""
        return self.handlers.get(method) or self.handlers.get(ANY_METHOD)


@dataclass(frozen=True)
class Match:
    """A path matched by a route; ``handler`` is ``None`` when the method is not taken."""

    route: Route
    params: dict[str, str]
    handler: str | None

    def fill(self, text: str, **extra: str) -> str:
        """Fill ``text``'s placeholders with the matched parameters (and ``extra``)."""
        return text.format(**self.params, **extra)


def compile_template(template: str, placeholders: Mapping[str, str]) -> re.Pattern[str]:
    """Compile a path template; ``placeholders`` maps kinds to their regular expressions.

    Raises:
        KeyError: For a kind ``placeholders`` does not define.
    """
    out = []
    for literal, name, kind in re.findall(r"([^{]*)(?:\{(\w+)(?::(\w+))?\})?", template):
        out.append(re.escape(literal))
        if name:
            out.append(f"(?P<{name}>{placeholders[kind] if kind else SEGMENT})")
    return re.compile("".join(out))


class RouteTable:
    """An ordered table of routes.

    Args:
        rows: ``(template, {method: handler}, refusal, scope)`` per route, in matching order
            (``refusal`` and ``scope`` may be left out).
        placeholders: The regular expression of each placeholder kind.
    """

    def __init__(
        self,
        rows: list[tuple],
        placeholders: Mapping[str, str] | None = None,
    ) -> None:
        regexes = dict(placeholders or {})
        self.routes = tuple(
            Route(row[0], compile_template(row[0], regexes), *row[1:]) for row in rows
        )

    def match(self, method: str, path: str) -> Match | None:
        """Return the route serving ``method path`` (see the module's docstring), or ``None``."""
        refused: Match | None = None
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            handler = route.handler(method)
            if handler is not None:
                return Match(route, found.groupdict(), handler)
            if refused is None:
                refused = Match(route, found.groupdict(), None)
        return refused
