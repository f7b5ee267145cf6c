"""stack_path, and how a plain scalar reads under YAML 1.1 and 1.2."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.bitrix24.errors import InputError
from provider.stack.stackfile import stack_path
from provider.stack.yamlsource import Scalar


def test_stack_path_is_stacks_slash_name_dot_yaml(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text("portal: x\n")
    assert stack_path("prod", tmp_path) == tmp_path / "stacks" / "prod.yaml"


def test_stack_without_file_names_the_path_and_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        stack_path("prod", tmp_path)
    assert str(caught.value) == (
        f"stack: stack 'prod' has no stack file {tmp_path}/stacks/prod.yaml. "
        "Fix: create it from the demo: cp stacks/sandbox.yaml stacks/prod.yaml, "
        "then set its portal and lines"
    )


@pytest.mark.parametrize("name", ["", "../prod", "org/proj/prod", ".hidden"])
def test_stack_name_must_be_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError) as caught:
        stack_path(name, tmp_path)
    assert str(caught.value) == (
        f"stack: {name!r} is not a plain stack name. Fix: select a stack: pulumi stack"
    )


@pytest.mark.parametrize(
    ("text", "plain", "reads_as"),
    [
        ("74951234567", True, "an integer"),
        ("012345", True, "an integer"),
        ("+74951234567", True, "an integer"),
        ("ext-100", True, "text"),
        ("1.5e10", False, "text"),
        ("yes", False, "text"),
        ("1.5e10", True, "a float"),
        ("1e10", True, "a float"),
        ("-.inf", True, "a float"),
        ("true", True, "a boolean"),
        ("on", True, "a boolean in YAML 1.1"),
        ("null", True, "null"),
        ("12:30:00", True, "a base-60 integer in YAML 1.1"),
        ("2024-01-31", True, "a timestamp in YAML 1.1"),
        ("1_000", True, "an integer"),
        ("0999", True, "an integer"),
        ("0o17", True, "an integer"),
        ("1_0.5", True, "a float in YAML 1.1"),
    ],
)
def test_reads_as_names_what_any_yaml_reader_would_see(
    text: str, plain: bool, reads_as: str
) -> None:
    assert Scalar(text, plain, 1, 1).reads_as == reads_as
