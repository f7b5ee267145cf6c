"""stacks/schema.json agrees with the loader on every fixture an editor could read.

The schema is what editors and CI lint see, through a YAML 1.2 reader; the loader
is what the provider runs. Each fixture that parses into data must be accepted by
both or refused by both, except the few refusals a schema cannot express, listed
with the reason; those must stay accepted by the schema, so the list cannot rot.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from provider.stack.errors import StackFileError
from provider.stack.yamlsource import read, to_data
from tests.stackfile.expected import BAD, GOOD

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE.parents[1] / "stacks" / "schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

SCHEMA_BLIND = {
    "duplicate_key_in_line": "a YAML reader keeps the last key: the schema never sees two",
    "duplicate_key_top": "a YAML reader keeps the last key: the schema never sees two",
    "duplicate_number": "JSON Schema cannot compare one property across array items",
    "duplicate_number_after_trim": "JSON Schema cannot compare one property across array items",
    "number_bool_yes": "quoting is invisible to a schema: YAML 1.2 reads yes as text",
    "name_bool_yes": "quoting is invisible to a schema: YAML 1.2 reads yes as text",
    "number_sexagesimal": "YAML 1.2 reads 12:30:00 as text; only YAML 1.1 reads base 60",
    "number_timestamp": "YAML 1.2 core reads 2024-01-31 as text; only YAML 1.1 reads a date",
    "number_float_exponent": "1.5e10 is a whole number, and JSON Schema's integer admits it",
    "retire_still_declared": "JSON Schema cannot compare retire: with the numbers under lines:",
}


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def editor_view(folder: str, name: str) -> tuple[bool, object]:
    """Whether the fixture parses into data at all, and that data as YAML 1.2 reads it.

    Syntax errors, bad bytes, aliases, tags and tabs stop the loader before there is
    data; an editor flags those itself, so the schema has nothing to say about them.
    """
    try:
        node = read(str(HERE / folder / f"{name}.yaml"), max_items=10_000)
    except StackFileError:
        return False, None
    return True, None if node is None else to_data(node)


CASES = [("good", name) for name in sorted(GOOD)] + [("bad", name) for name in sorted(BAD)]
READABLE = [(folder, name) for folder, name in CASES if editor_view(folder, name)[0]]


def test_most_fixtures_are_data_the_schema_can_judge() -> None:
    assert len(READABLE) >= 40
    assert all(("good", name) in READABLE for name in GOOD)


@pytest.mark.parametrize(("folder", "name"), READABLE)
def test_schema_and_loader_agree(folder: str, name: str) -> None:
    schema_accepts = VALIDATOR.is_valid(editor_view(folder, name)[1])
    assert schema_accepts == (folder == "good" or name in SCHEMA_BLIND)


def test_every_schema_blind_fixture_exists() -> None:
    assert set(SCHEMA_BLIND) <= set(BAD)
