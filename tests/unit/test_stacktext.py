"""Stack file text for existing lines: every value a portal may hold comes back exactly.

The CLI tests run export against the sandbox; these go through many more values than a
portal fixture is worth, each rendered, then read by provider.stack.stackfile (YAML 1.1, as
PyYAML reads it) and by a YAML 1.2 reader's rules (as editors and schema tools read it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provider.bitrix24.errors import InputError
from provider.bitrix24.lines import Line
from provider.stack import stackfile, stacktext
from provider.stack.yamlsource import read, to_data

NAMES = [
    "Moscow office",
    "Moscow: reception",
    "Line #3",
    "a#b",
    'He said "hi"',
    "it's",
    "Отдел продаж",
    "Zürich ☎",
    "電話",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "true",
    "0123",
    "+7495",
    "1.5e10",
    "0x1F",
    "0o17",
    "12:30:00",
    "2026-12-02",
    ".inf",
    "- dash",
    "? question",
    "[brackets]",
    "{braces}",
    "&anchor",
    "*alias",
    "!tag",
    "%percent",
    "@at",
    "`backtick`",
    "| pipe",
    "> folded",
    "back\\slash",
    "line\u2028separator",
    "x" * 255,
]
REFUSED_NAMES = ["tab\tinside", "new\nline", "del\x7f", "soft\u00adhyphen"]  # see rules.name
NUMBERS = ["012345", "+74951234567", "74951234567", "yes", "1.5e10", "12:30", "~", "0x1F", "'q'"]


def load(tmp_path: Path, text: str) -> dict[str, tuple[str, bool]]:
    path = tmp_path / "stack.yaml"
    path.write_text(text, encoding="utf-8")
    data = to_data(read(str(path), stackfile.MAX_LINES))  # as a YAML 1.2 reader sees it
    assert isinstance(data, dict)
    assert {entry["number"]: entry["name"] for entry in data["lines"]} == {
        line.number: line.name for line in stackfile.load(path).lines
    }
    return {line.number: (line.name, line.crm_auto_create) for line in stackfile.load(path).lines}


def test_every_name_and_number_loads_back_exactly(tmp_path: Path) -> None:
    lines = [Line(f"7495{n:07d}", name, n % 2 == 0) for n, name in enumerate(NAMES)]
    lines += [Line(number, f"Number {number}", False) for number in NUMBERS]
    unfit = [Line(f"8800{n:07d}", name, True) for n, name in enumerate(REFUSED_NAMES)]
    declared, refused = stacktext.entries(lines + unfit)
    assert [r.line for r in refused] == unfit
    assert all(r.reason.startswith("name: ") for r in refused)
    text = stacktext.render("https://acme.bitrix24.com", declared)
    assert load(tmp_path, text) == {
        line.number: (line.name, line.crm_auto_create) for line in lines
    }
    assert yaml.safe_load(text)["adopt"] is True


def test_plain_where_it_reads_the_same_everywhere_quoted_elsewhere() -> None:
    declared, _ = stacktext.entries(
        [
            Line("1", "Moscow office", True),
            Line("2", "Moscow: reception", True),
            Line("3", "yes", True),
        ]
    )
    text = stacktext.render("https://acme.bitrix24.com", declared)
    assert '  - number: "1"\n    name: Moscow office\n' in text
    assert '    name: "Moscow: reception"\n' in text
    assert '    name: "yes"\n' in text


@pytest.mark.parametrize(
    ("line", "name", "note"),
    [
        (Line("88005553535", "", True), "88005553535", stacktext.NAMELESS),
        (Line("74951234567", "  Sales ", False), "Sales", (stacktext.PADDED,)),
        (Line("74951234567", "Sales", False), "Sales", ()),
    ],
)
def test_what_the_first_up_changes_is_said_above_the_entry(line: Line, name: str, note) -> None:
    (entry,), _ = stacktext.entries([line])
    assert (entry.name, entry.note, entry.renamed) == (name, note, bool(note))


def test_a_number_no_file_can_declare_is_refused_with_the_reason() -> None:
    declared, refused = stacktext.entries([Line("495 123", "Inner space", True)])
    assert declared == []
    assert refused == [
        stacktext.Refused(
            Line("495 123", "Inner space", True),
            "number: '495 123' has U+0020 SPACE at character 4; NUMBER is matched as exact"
            " text, so it takes printable ASCII only, without spaces",
        )
    ]


@pytest.mark.parametrize(
    ("name", "character"),
    [("tab\tinside", "U+0009"), ("new\nline", "U+000A"), ("del\x7f", "U+007F")],
)
def test_a_name_with_a_control_character_is_refused_naming_it(name: str, character: str) -> None:
    """No stack file may declare it (Unicode Cc), so export hands it back, never drops it."""
    line = Line("74951234567", name, True)
    declared, refused = stacktext.entries([line])
    assert declared == []
    assert refused == [
        stacktext.Refused(
            line,
            f"name: {name!r} has {character} (a control character) at character 4; a name takes"
            " no control or invisible formatting characters",
        )
    ]


def test_entries_are_sorted_by_number_whatever_the_portals_order() -> None:
    lines = [Line(number, "x", True) for number in ("9", "+1", "01", "10")]
    declared, _ = stacktext.entries(lines)
    assert [entry.number for entry in declared] == ["+1", "01", "10", "9"]
    assert stacktext.entries(reversed(lines))[0] == declared


def merged(tmp_path: Path, text: str, *lines: Line) -> str:
    path = tmp_path / "prod.yaml"
    path.write_bytes(text.encode())
    known = {line.number for line in stackfile.load(path).lines}
    declared, _ = stacktext.entries(lines)
    return stacktext.merge(
        text, read(str(path), stackfile.MAX_LINES), str(path), declared, known
    ).text


def test_merge_follows_the_files_indentation_and_line_ends(tmp_path: Path) -> None:
    text = (
        'portal: https://acme.bitrix24.com\r\nlines:\r\n    -   number: "1"\r\n'
        "        name: One\r\n"
    )
    out = merged(tmp_path, text, Line("1", "One", True), Line("2", "Two", False))
    assert out == text + (
        "    # added by `python -m provider export --merge`: on the portal, missing here\r\n"
        '    -   number: "2"\r\n        name: Two\r\n        crm_auto_create: false\r\n'
        "        adopt: true\r\n"
    )


def test_merge_with_nothing_to_add_returns_the_text_untouched(tmp_path: Path) -> None:
    text = 'portal: https://acme.bitrix24.com\nlines: [{number: "1"}]   # flow style\n'
    assert merged(tmp_path, text, Line("1", "1", True)) == text


def test_merge_into_a_one_line_list_is_refused_with_the_fix(tmp_path: Path) -> None:
    text = 'portal: https://acme.bitrix24.com\nlines: [{number: "1"}]\n'
    with pytest.raises(InputError) as info:
        merged(tmp_path, text, Line("2", "Two", True))
    assert str(info.value) == (
        f"lines: {tmp_path}/prod.yaml:2: is written on one line ([...]). Fix: write it as a"
        " block list, one `- number:` entry per line, then merge again"
    )
