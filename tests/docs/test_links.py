"""Every relative link in README.md and docs/*.md leads to a file and heading that exist.

The README points into guides under docs/, and the guides point at each other's headings.
GitHub renders a link to a renamed heading or a moved file without complaint, and the reader
lands at the top of the page or on a 404. This test resolves each link as GitHub would (its
heading slugs included), so a broken one fails the tests instead.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r" {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
CODE_SPAN = re.compile(r"(`+)(?:.|\n(?!\n))+?\1")  # may wrap, never across a blank line
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s[^)]*)?\)")
INLINE_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
EXTERNAL = ("http://", "https://", "mailto:")


def prose(text: str) -> str:
    """The text with every line of a fenced code block blanked, so line numbers still hold."""
    kept: list[str] = []
    fence = ""
    for line in text.splitlines():
        opening = FENCE.match(line)
        if fence:
            closing = line.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                fence = ""
            kept.append("")
        elif opening:
            fence = opening.group(1)
            kept.append("")
        else:
            kept.append(line)
    return "\n".join(kept)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but - and _ gone, spaces as -."""
    text = INLINE_LINK.sub(r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a file's headings; a repeated heading gets -1, -2 as on GitHub."""
    found: set[str] = set()
    counts: Counter[str] = Counter()
    for line in prose(path.read_text(encoding="utf-8")).splitlines():
        if match := HEADING.match(line):
            base = slug(match.group(1))
            found.add(f"{base}-{counts[base]}" if counts[base] else base)
            counts[base] += 1
    return found


def broken_links(path: Path) -> list[str]:
    """Each relative link of a Markdown file that names a missing file or heading."""
    text = prose(path.read_text(encoding="utf-8"))
    text = CODE_SPAN.sub(lambda span: "\n" * span.group().count("\n"), text)
    problems: list[str] = []
    for match in LINK.finditer(text):
        target = match.group(1)
        if target.startswith(EXTERNAL):
            continue
        line = text.count("\n", 0, match.start()) + 1
        where = f"{path.name}:{line}: {target}"
        name, _, anchor = unquote(target).partition("#")
        linked = path.parent / name if name else path
        if not linked.exists():
            problems.append(f"{where}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{where}: no heading #{anchor} in {linked.name}")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_link_resolves(path: Path) -> None:
    assert broken_links(path) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Adopting a line that already exists", "adopting-a-line-that-already-exists"),
        ("The `ExternalLine` resource", "the-externalline-resource"),
        ("Credentials, tokens & pipelines", "credentials-tokens--pipelines"),
        ("Use [the sandbox](sandbox.md) first", "use-the-sandbox-first"),
        ("`PULUMI_SKIP_CHECKPOINTS`", "pulumi_skip_checkpoints"),
    ],
)
def test_slugs_follow_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Step 1\n\n## Step 1\n\n```\n## Hidden\n```\n", encoding="utf-8"
    )
    (tmp_path / "sub").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Top\n\n[ok](guide.md#step-1), [again](guide.md#step-1-1), [self](#top), [dir](sub)\n"
        "[gone](missing.md) and [a\nwrapped one](guide.md#step-2)\n"
        "[fenced](guide.md#hidden) `[code](nowhere.md)` [web](https://example.com/x.md)\n"
        "````markdown\n```\n[in a fence](nowhere.md)\n```\n````\n",
        encoding="utf-8",
    )
    assert broken_links(readme) == [
        "README.md:4: missing.md: no such file",
        "README.md:4: guide.md#step-2: no heading #step-2 in guide.md",
        "README.md:6: guide.md#hidden: no heading #hidden in guide.md",
    ]
