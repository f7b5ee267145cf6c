"""The `__provider` every line carries: a tiny by-reference pickle, the same for every line,
with no secret in it even in a process where the provider was configured."""

from __future__ import annotations

import base64
import pickletools
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic import Config
from pulumi.dynamic.dynamic import serialize_provider

from provider import portals
from provider.resource import ExternalLine, ExternalLineProvider
from tests.provider.conftest import APP, SECRET
from tests.provider.host import PROVIDER

ACCESS = "access-token-in-this-process-0001"
REFRESH = "refresh-token-in-this-process-0001"


def test_is_a_short_reference_to_the_class() -> None:
    raw = base64.b64decode(PROVIDER)
    assert len(PROVIDER) < 100
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(raw)]
    assert [arg for name, arg in ops if name == "SHORT_BINUNICODE"] == [
        "provider.resource",
        "ExternalLineProvider",
    ]
    assert "BUILD" not in {name for name, _ in ops}  # no instance state at all
    provider = dill.loads(raw)
    assert type(provider) is ExternalLineProvider
    assert vars(provider) == {}


@pytest.fixture
def configured(tmp_path: Path) -> Any:
    """This process configured as the host would be, with a connection made."""
    portals.configure(
        Config(
            {
                "bitrix24:clientId": APP,
                "bitrix24:clientSecret": SECRET,
                "bitrix24:refreshToken": REFRESH,
                "bitrix24:accessToken": ACCESS,
                "bitrix24:tokenStore": str(tmp_path / "tokens"),
            },
            "lines",
        )
    )
    portals.lines_for("https://acme.bitrix24.com")
    yield
    portals.configure(Config({}, "lines"))


@pytest.mark.usefixtures("configured")
def test_holds_no_secret_after_configure() -> None:
    provider = ExternalLineProvider()
    provider.configure(
        pulumi.dynamic.ConfigureRequest(
            Config(
                {
                    "bitrix24:clientId": APP,
                    "bitrix24:clientSecret": SECRET,
                    "bitrix24:refreshToken": REFRESH,
                    "bitrix24:accessToken": ACCESS,
                },
                "lines",
            )
        )
    )
    text = serialize_provider(provider)
    assert text == PROVIDER
    raw = base64.b64decode(text)
    for value in (SECRET, REFRESH, ACCESS, APP):
        assert value not in text and value.encode() not in raw
    assert vars(dill.loads(raw)) == {}


class Capture(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.inputs[args.name] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        return {}, []


def test_every_line_of_a_stack_carries_the_same_bytes() -> None:
    capture = Capture()
    pulumi.runtime.set_mocks(capture, project="lines", stack="test", preview=False)
    try:

        @pulumi.runtime.test
        def program() -> pulumi.Output:
            lines = [
                ExternalLine("a", portal="https://acme.bitrix24.com", number="101"),
                ExternalLine(
                    "b",
                    portal="https://acme.bitrix24.com",
                    number="102",
                    name="Sales",
                    crm_auto_create=False,
                ),
                ExternalLine("c", portal="https://other.bitrix24.com", number="103", adopt=True),
            ]
            return pulumi.Output.all(*(line.id for line in lines))

        program()
    finally:
        pulumi.runtime.settings.reset_options()
    assert sorted(capture.inputs) == ["a", "b", "c"]
    assert {name: inputs["__provider"] for name, inputs in capture.inputs.items()} == {
        "a": PROVIDER,
        "b": PROVIDER,
        "c": PROVIDER,
    }
    assert {serialize_provider(ExternalLineProvider()) for _ in range(5)} == {PROVIDER}
