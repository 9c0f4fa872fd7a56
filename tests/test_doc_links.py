"""Every relative link in README.md and docs/*.md resolves: the file exists, the #anchor too.

Anchors are GitHub's heading slugs: the heading's text without markup, in lower case, without
punctuation (letters, digits, ``_``, ``-`` and spaces are kept), spaces as ``-``; a repeated
slug gets ``-1``, ``-2``... Links inside code (fenced blocks, inline code) are not links.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", flags=re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", flags=re.S)
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$", flags=re.M)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", flags=re.M)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", flags=re.I)


def without_code(text: str) -> str:
    """Return the markdown without fenced code blocks and inline code spans."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """Return GitHub's anchor for a heading's text (before de-duplication)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Return every heading anchor of a markdown text, repeated slugs numbered as GitHub does."""
    seen: Counter[str] = Counter()
    found = set()
    for _, heading in _HEADING.findall(_FENCE.sub("", text)):
        base = slug(heading)
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def broken_links(page: Path) -> list[str]:
    """Return the relative links of a markdown page that do not resolve, with the reason."""
    text = without_code(page.read_text(encoding="utf-8"))
    targets = [*_LINK.findall(text), *_REFERENCE.findall(text)]
    problems = []
    for target in targets:
        if not target or _EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            problems.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md":
            if anchor not in anchors(linked.read_text(encoding="utf-8")):
                problems.append(f"{target}: no heading with the anchor #{anchor} in {linked.name}")
        elif anchor:
            problems.append(f"{target}: an anchor into a file that is not markdown")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_the_docs_pages_exist_and_the_readme_links_each():
    readme = without_code((ROOT / "README.md").read_text(encoding="utf-8"))
    linked = {target.partition("#")[0] for target in _LINK.findall(readme)}
    pages = {f"docs/{page.name}" for page in PAGES[1:]}
    assert "docs/settings.md" in pages
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Quick start", "quick-start"),
        ("`tap-lightspeed` settings", "tap-lightspeed-settings"),
        ("Outcomes, rejects and failures", "outcomes-rejects-and-failures"),
        ("Rejects: what STATE means", "rejects-what-state-means"),
        ("The `item_shops` stream", "the-item_shops-stream"),
        ("A [link](x.md) and **bold**", "a-link-and-bold"),
        ("Column types in PostgreSQL / DuckDB", "column-types-in-postgresql--duckdb"),
    ],
)
def test_slugs_are_githubs(heading, anchor):
    assert slug(heading) == anchor


def test_broken_links_are_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Part\n\n## Part\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## Here\n\n"
        "[ok](other.md#part-1) [ok](#here) [ok](https://example.com/x#y) `[code](gone.md)`\n"
        "[missing file](gone.md) [missing anchor](other.md#part-2) [self](#there)\n\n"
        "```\n[in a fence](gone.md)\n```\n\n[ref]: nowhere.md\n",
        encoding="utf-8",
    )
    assert [problem.split(":")[0] for problem in broken_links(page)] == [
        "gone.md",
        "other.md#part-2",
        "#there",
        "nowhere.md",
    ]
