"""How the program reads the lines in state: the reply's shape, and retrying a torn read.

The engine's builtin function is played by Pulumi's own mocks (`set_mocks`), which
answer the program's invokes in process; the real engine answers it in
tests/e2e/test_safety.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

from provider import stackstate
from provider.bitrix24.errors import InputError
from provider.resource import TYPE


class StateMocks(pulumi.runtime.Mocks):
    """Answers readStackResourceOutputs with `replies` in turn; an exception is raised."""

    def __init__(self, replies: list[dict | Exception]) -> None:
        self.replies = replies
        self.asked: list[dict] = []

    def call(self, args: pulumi.runtime.MockCallArgs):
        assert args.token == stackstate.READ_RESOURCES
        self.asked.append(dict(args.args))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return args.name, args.inputs


STATE = {
    "name": "organization/bitrix24-lines/prod",
    "outputs": {
        "urn:a": {"type": TYPE, "outputs": {"number": "100", "portal": "HTTPS://Acme.B24.com:443"}},
        "urn:b": {"type": "pulumi:providers:pulumi-python", "outputs": {"number": "999"}},
        "urn:c": {"type": TYPE, "outputs": {"number": "101", "portal": "https://acme.b24.com"}},
    },
}


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pause between reads, and no mock left behind for the next test of the session."""
    monkeypatch.setattr(stackstate, "READ_PAUSE", 0.0)
    yield
    reset_options()


def read(replies: list[dict | Exception]) -> tuple[StateMocks, dict[str, str] | Exception]:
    mocks = StateMocks(replies)
    pulumi.runtime.set_mocks(
        mocks, project="bitrix24-lines", stack="prod", preview=True, organization="organization"
    )
    try:
        return mocks, stackstate.previous_state().lines
    except InputError as err:
        return mocks, err


def test_only_lines_are_kept_with_their_portal_respelled() -> None:
    mocks, lines = read([STATE])
    assert lines == {"100": "https://acme.b24.com", "101": "https://acme.b24.com"}
    assert mocks.asked == [{"stackName": "organization/bitrix24-lines/prod"}]


def test_a_new_stack_has_no_lines() -> None:
    assert read([{"name": "organization/bitrix24-lines/prod", "outputs": {}}])[1] == {}


def test_a_torn_read_is_tried_again() -> None:
    mocks, lines = read([RuntimeError("failed to load checkpoint: EOF"), STATE])
    assert len(mocks.asked) == 2 and len(lines) == 2


def test_a_state_that_cannot_be_read_stops_the_run_saying_why() -> None:
    failures = [RuntimeError("failed to load checkpoint: EOF")] * stackstate.ATTEMPTS
    mocks, err = read(list(failures))
    assert isinstance(err, InputError) and len(mocks.asked) == stackstate.ATTEMPTS
    assert "could not be read" in str(err) and "failed to load checkpoint: EOF" in str(err)
