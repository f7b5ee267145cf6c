"""The errors module: its docstring's tree is the real hierarchy, and messages build themselves."""

from __future__ import annotations

import inspect
import re

import pytest

from provider.bitrix24 import errors
from provider.stack import errors as stack_errors
from provider.stack import stackfile


def drawn_tree() -> dict[str, str]:
    """class name -> parent name, as drawn in the module docstring."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = [(-1, "Bitrix24Error")]
    for line in (errors.__doc__ or "").splitlines():
        found = re.search(r"[├└]── (\w+)", line)
        if not found:
            continue
        depth = found.start()
        while stack[-1][0] >= depth:
            stack.pop()
        parents[found.group(1)] = stack[-1][1]
        stack.append((depth, found.group(1)))
    return parents


def test_the_docstring_draws_every_class_under_its_real_parent() -> None:
    classes = {
        name: cls
        for module in (errors, stack_errors)  # the stack layer's own live there
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, errors.Bitrix24Error) and cls is not errors.Bitrix24Error
    }
    real = {name: cls.__bases__[0].__name__ for name, cls in classes.items()}
    assert drawn_tree() == real


def test_stack_file_errors_moved_but_still_importable_from_stackfile() -> None:
    assert stackfile.StackFileErrors is stack_errors.StackFileErrors


def test_extra_arguments_are_keyword_only() -> None:
    err = errors.LineExists("m", 400, "", "Line already exists", number="7", fix="adopt it")
    assert (err.number, err.fix) == ("7", "adopt it")
    with pytest.raises(TypeError):
        errors.LineExists("m", 400, "", "Line already exists", "7")  # type: ignore[misc]
    budget = errors.OperationTimeLimit("m", 429, "", "d", "wait", retry_at=5.0)
    assert (budget.fix, budget.retry_at) == ("wait", 5.0)
    with pytest.raises(TypeError):
        errors.OperationTimeLimit("m", 429, "", "d", "wait", 5.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        errors.TransportError("m", "p", "c", False)  # type: ignore[misc]
