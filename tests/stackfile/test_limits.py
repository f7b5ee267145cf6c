"""Size limits: a huge file is refused from a bounded read, before any parsing.

"Quickly" is checked as work done (YAML events pulled), not seconds, which depend on
the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provider.stack.stackfile import MAX_LINES, StackFileErrors, load
from provider.stack.yamlsource import MAX_FILE_BYTES, MAX_SOURCE_LINES

HEADER = "portal: https://acme.bitrix24.com\nlines:\n"


def entries(count: int) -> str:
    return "".join(
        f'  - number: "7495{index:07d}"\n    name: Line {index}\n' for index in range(count)
    )


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many YAML events the loader pulled: the work a refusal did, whatever the machine."""
    counted = [0]
    real_parse = yaml.parse

    def counting(*args: object, **kwargs: object) -> Iterator[yaml.Event]:
        for event in real_parse(*args, **kwargs):
            counted[0] += 1
            yield event

    monkeypatch.setattr(yaml, "parse", counting)
    return counted


def refused(path: Path) -> str:
    """The single error message of `path`."""
    with pytest.raises(StackFileErrors) as caught:
        load(path)
    return str(caught.value)


def test_limits_are_what_the_messages_say() -> None:
    assert (MAX_FILE_BYTES, MAX_SOURCE_LINES, MAX_LINES) == (1_048_576, 20_000, 2_000)


def test_file_of_100000_lines_over_the_byte_limit_is_refused_unparsed(
    tmp_path: Path, parsed: list[int]
) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HEADER + entries(49_999))  # 2 + 99,998 = 100,000 lines, about 3 MB
    assert path.read_text().count("\n") == 100_000
    assert refused(path) == (
        f"{path}:1:1: file: is over 1,048,576 bytes. "
        "Fix: a stack file declares one portal's lines; remove what does not belong there"
    )


def test_file_of_100000_short_lines_under_the_byte_limit_is_refused_unparsed(
    tmp_path: Path, parsed: list[int]
) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(HEADER + '  - number: "74951234567"\n' + "#\n" * 99_997)
    assert path.read_text().count("\n") == 100_000
    assert path.stat().st_size < MAX_FILE_BYTES
    assert refused(path) == (
        f"{path}:1:1: file: has 100,000 lines, over 20,000. "
        "Fix: a stack file declares one portal's lines; remove what does not belong there"
    )
    assert parsed == [0]


def test_max_lines_entries_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    path.write_text(HEADER + entries(MAX_LINES))
    spec = load(path)
    assert len(spec.lines) == MAX_LINES
    assert spec.lines[-1].number == "74950001999"
    assert spec.lines[-1].line == 2 + 2 * MAX_LINES - 1


def test_one_entry_over_max_lines_stops_the_parse_at_the_list(
    tmp_path: Path, parsed: list[int]
) -> None:
    path = tmp_path / "over.yaml"
    path.write_text(HEADER + entries(MAX_LINES + 1))
    assert refused(path) == (
        f"{path}:3:3: file: holds more than 2,000 entries. "
        "Fix: keep at most 2,000 entries in one list or mapping"
    )
    # 7 events up to the list's start, 6 per entry (a mapping, two keys, two values):
    # the loader stopped at the first event of the entry over the limit
    assert parsed == [7 + 6 * MAX_LINES + 1]


def test_billion_laughs_is_refused_at_the_first_anchor(tmp_path: Path, parsed: list[int]) -> None:
    """Ten levels of ten aliases would be 10**10 nodes once expanded."""
    levels = ['lol0: &lol0 "lol"'] + [
        f"lol{level}: &lol{level} [{', '.join([f'*lol{level - 1}'] * 10)}]"
        for level in range(1, 10)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join([*levels, "lines: *lol9", ""]))
    assert refused(path) == (
        f"{path}:1:7: file: uses a YAML anchor or alias; stack files take none. "
        "Fix: write it out in full"
    )
    assert parsed[0] <= 6  # stream, document, mapping, key, then the anchored value
