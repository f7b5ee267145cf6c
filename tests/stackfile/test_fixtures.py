"""Every fixture under bad/ gives its exact messages; every one under good/ its exact spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.bitrix24.errors import InputError
from provider.stack.errors import StackFileError
from provider.stack.stackfile import PortalSpec, StackFileErrors, load
from tests.stackfile.expected import BAD, GOOD

HERE = Path(__file__).parent


def fixture_names(folder: str) -> set[str]:
    return {path.stem for path in (HERE / folder).glob("*.yaml")}


def test_every_fixture_has_an_expectation_and_every_expectation_a_fixture() -> None:
    assert fixture_names("bad") == set(BAD)
    assert fixture_names("good") == set(GOOD)
    assert len(BAD) >= 30


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_fixture_is_refused_with_exact_messages(name: str) -> None:
    path = str(HERE / "bad" / f"{name}.yaml")
    with pytest.raises(StackFileErrors) as caught:
        load(path)
    assert str(caught.value) == "\n".join(f"{path}:{message}" for message in BAD[name])
    assert [f"{err.line}:{err.column}" for err in caught.value.errors] == [
        message.split(": ", 1)[0] for message in BAD[name]
    ]


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_fixture_gives_exact_spec(name: str) -> None:
    path = str(HERE / "good" / f"{name}.yaml")
    assert load(path) == PortalSpec(path, *GOOD[name])


def test_errors_are_input_errors_carrying_fields() -> None:
    """Callers read fields, not text: the aggregate is an InputError holding StackFileErrors."""
    path = str(HERE / "bad" / "several_bad_entries.yaml")
    with pytest.raises(InputError) as caught:
        load(path)
    assert isinstance(caught.value, StackFileErrors)
    assert isinstance(caught.value, ValueError)
    assert caught.value.path == path
    first = caught.value.errors[0]
    assert isinstance(first, StackFileError)
    assert (first.path, first.line, first.column, first.prop) == (path, 3, 13, "number")
    assert first.fix == 'quote it if that really is the number: number: "1.5e10"'
    assert [err.prop for err in caught.value.errors] == [
        "number",
        "name",
        "crm_auto_create",
        "nubmer",
    ]


def test_unreadable_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InputError) as caught:
        load(path)
    assert not isinstance(caught.value, StackFileError)
    assert str(caught.value) == (
        f"stack file: cannot read {path} (No such file or directory). Fix: check the path"
    )


def test_the_shipped_sandbox_stack_loads() -> None:
    path = HERE.parents[1] / "stacks" / "sandbox.yaml"
    spec = load(path)
    assert spec.portal == "http://127.0.0.1:8450"
    assert [(line.number, line.crm_auto_create) for line in spec.lines] == [
        ("+74951234567", True),
        ("74951234568", True),
        ("14151234567", False),
        ("442071234567", True),
    ]
    assert all(line.name and not line.adopt for line in spec.lines)
