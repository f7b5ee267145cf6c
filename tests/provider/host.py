"""Drive the real dynamic provider host (`python -u -m pulumi.dynamic`) as the engine does.

The host is the process the Pulumi engine starts for `pulumi-python:dynamic/...`
resources: it prints a port, then serves the ResourceProvider gRPC service. Each
request carries the pickled provider in `__provider`; the host unpickles it,
calls `configure` once with the stack config the engine sent in Configure, and
then the provider method. Requests here are built with the same SDK functions
the engine's other side uses (`rpc.serialize_properties`), replies read with
`rpc.deserialize_properties`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from provider.resource import ExternalLineProvider

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
TYPE = "pulumi-python:dynamic/bitrix24:ExternalLine"
PROVIDER = serialize_provider(ExternalLineProvider())
"""The `__provider` value every ExternalLine of a stack carries."""
START_TIMEOUT = 30.0
CALL_TIMEOUT = 60.0


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them (plain values; no secrets, no unknowns)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def secret(value: str) -> dict[str, str]:
    """A value wrapped as a secret, the way the engine sends secret config."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def with_provider(props: Mapping[str, Any], provider: str = PROVIDER) -> dict[str, Any]:
    return {**props, "__provider": provider}


def urn(name: str) -> str:
    return f"urn:pulumi:test::lines::{TYPE}::{name}"


@dataclass(frozen=True)
class Diff:
    """The parts of a DiffResponse the dynamic host fills in."""

    changes: int
    replaces: list[str]
    delete_before_replace: bool


class Host:
    """One provider host process and a gRPC stub to it; `close()` kills it."""

    def __init__(self, env: Mapping[str, str], stderr_path: Path, args: Sequence[str] = ()) -> None:
        """`args` as the engine passes them: its own address, to a provider that watches it."""
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [str(PYTHON), "-u", "-m", "pulumi.dynamic", *args],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        try:
            port = self._read_port()
            self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _read_port(self) -> int:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the host prints its port first, or dies
        if not line.strip().isdigit():
            self.proc.wait(timeout=START_TIMEOUT)
            raise RuntimeError(
                f"the provider host printed {line!r} instead of a port; stderr:\n{self.stderr()}"
            )
        return int(line)

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> None:
        channel = getattr(self, "channel", None)
        if channel is not None:
            channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=START_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()

    # The engine's calls

    def configure(self, config: Mapping[str, Any]) -> None:
        """Configure as the engine sends it: the stack's config as `args` (and `variables`)."""
        plain = {k: v["value"] if isinstance(v, dict) else v for k, v in config.items()}
        request = proto.ConfigureRequest(
            variables=plain, args=struct(config), acceptSecrets=True, acceptResources=True
        )
        self.stub.Configure(request, timeout=CALL_TIMEOUT)

    def check(
        self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None, name: str = "line"
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """(normalised inputs, [(property, reason)])."""
        request = proto.CheckRequest(
            urn=urn(name), type=TYPE, olds=struct(olds or {}), news=struct(news)
        )
        reply = self.stub.Check(request, timeout=CALL_TIMEOUT)
        failures = [(f.property, f.reason) for f in reply.failures]
        return rpc.deserialize_properties(reply.inputs), failures

    def diff(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], name: str = "line"
    ) -> Diff:
        request = proto.DiffRequest(
            id=id_, urn=urn(name), type=TYPE, olds=struct(olds), news=struct(news)
        )
        reply = self.stub.Diff(request, timeout=CALL_TIMEOUT)
        return Diff(reply.changes, list(reply.replaces), reply.deleteBeforeReplace)

    def create(self, props: Mapping[str, Any], name: str = "line") -> tuple[str, dict[str, Any]]:
        request = proto.CreateRequest(urn=urn(name), type=TYPE, properties=struct(props))
        reply = self.stub.Create(request, timeout=CALL_TIMEOUT)
        return reply.id, rpc.deserialize_properties(reply.properties)

    def read(
        self,
        id_: str,
        props: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        name: str = "line",
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """(id, outs, inputs or None) as a refresh gets them."""
        request = proto.ReadRequest(
            id=id_,
            urn=urn(name),
            type=TYPE,
            properties=struct(props),
            inputs=struct(inputs if inputs is not None else props),
        )
        reply = self.stub.Read(request, timeout=CALL_TIMEOUT)
        inputs_out = rpc.deserialize_properties(reply.inputs) if reply.HasField("inputs") else None
        return reply.id, rpc.deserialize_properties(reply.properties), inputs_out

    def update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], name: str = "line"
    ) -> dict[str, Any]:
        request = proto.UpdateRequest(
            id=id_, urn=urn(name), type=TYPE, olds=struct(olds), news=struct(news)
        )
        reply = self.stub.Update(request, timeout=CALL_TIMEOUT)
        return rpc.deserialize_properties(reply.properties)

    def delete(self, id_: str, props: Mapping[str, Any], name: str = "line") -> None:
        request = proto.DeleteRequest(id=id_, urn=urn(name), type=TYPE, properties=struct(props))
        self.stub.Delete(request, timeout=CALL_TIMEOUT)


def host_env(home: Path) -> dict[str, str]:
    """The parent's environment without any BITRIX24_* credential, with a throw-away HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BITRIX24_")}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    return env


__all__ = [
    "PROVIDER",
    "PYTHON",
    "ROOT",
    "Diff",
    "Host",
    "host_env",
    "secret",
    "struct",
    "with_provider",
]
