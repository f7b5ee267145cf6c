"""Which argument of the provider's command line is the engine it must outlive no longer."""

from __future__ import annotations

import pytest

from provider.lifeline import engine_address


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["-m", "127.0.0.1:40357"], ("127.0.0.1", 40357)),  # what pulumi 3.274.1 passes
        (["-m", "--logtostderr", "-v=9", "[::1]:55"], ("::1", 55)),
        (["-m", "localhost:1234"], ("localhost", 1234)),
        (["-m"], None),  # started by hand or by a test: nothing to watch
        (["pytest", "-k", "name:1", "tests/x.py::test"], None),  # never a test runner's words
    ],
)
def test_the_engine_address_is_an_ip_or_localhost_with_a_port(argv, address) -> None:
    assert engine_address(argv) == address
