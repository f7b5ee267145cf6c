"""A Pulumi language host for Python programs, used when the official one is missing.

Why this exists: the Pulumi CLI builds from the Go module proxy, but the official
Python language host (`github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3`)
is a separate, untagged Go module that the proxy reachable here does not serve.
The engine needs *some* `pulumi-language-python` to run a Python program, so
this one speaks the LanguageRuntime gRPC protocol and does what the official
host does for a plain virtualenv project: it runs Pulumi's own
`pulumi-language-python-exec` (shipped in the sdk/v3 Go module) with the
project's virtualenv, passing config and secret keys in PULUMI_CONFIG and
PULUMI_CONFIG_SECRET_KEYS. It does not implement code generation, packing,
debugging or dependency installation (scripts/bootstrap installs requirements).

scripts/bootstrap installs it as `pulumi-language-python` only when no official
host is on PATH. It must run under an interpreter that has `pulumi` (for the
generated gRPC stubs) and `grpcio` installed: the project's virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import IO

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

Context = grpc.ServicerContext

VERSION = "3.274.1"  # the release whose exec script this host drives; reported to `pulumi about`
EXEC_NAME = "pulumi-language-python-exec"
ORPHAN_CHECK_INTERVAL = 0.5  # seconds between two looks at whether the engine is still there
LINGER_ENV = "LANGHOST_LINGER"
"""Seconds to stay after the engine is gone, leaving the program alone, as the official host
does: it notices a dead engine only through a health check every 5 minutes
(`rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel)` in its main.go). Unset or
0: leave at once and end the program. The recovery tests run both ways, so what they
assert of a killed run holds under either host."""
USER_ACTIONABLE_EXIT = 32
"""The only exit code after which the official host bails without a word of its own (the
exec script uses it after an unhandled exception it has logged). Every other non-zero code,
1 after a pulumi.RunError included, becomes "program exited with non-zero exit code: N",
which the engine prints as a second error: "an unhandled error occurred: ...". This host
judges exit codes exactly so (sdk/python/cmd/pulumi-language-python/main.go), so a program
cannot pass the tests here and print that line for users."""


class PythonHost(language_pb2_grpc.LanguageRuntimeServicer):
    """The subset of LanguageRuntime that `pulumi preview/up/refresh/destroy` call."""

    def __init__(self, exec_script: Path, engine: str) -> None:
        self.exec_script = exec_script
        self.engine = engine
        self.running: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()

    def Handshake(
        self, request: language_pb2.LanguageHandshakeRequest, context: Context
    ) -> language_pb2.LanguageHandshakeResponse:
        self.engine = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetRequiredPlugins(
        self, request: language_pb2.GetRequiredPluginsRequest, context: Context
    ) -> language_pb2.GetRequiredPluginsResponse:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(
        self, request: language_pb2.GetRequiredPackagesRequest, context: Context
    ) -> language_pb2.GetRequiredPackagesResponse:
        return language_pb2.GetRequiredPackagesResponse()

    def GetPluginInfo(self, request: empty_pb2.Empty, context: Context) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=VERSION)

    def About(
        self, request: language_pb2.AboutRequest, context: Context
    ) -> language_pb2.AboutResponse:
        return language_pb2.AboutResponse(executable=sys.executable, version=VERSION)

    def GetProgramDependencies(
        self, request: language_pb2.GetProgramDependenciesRequest, context: Context
    ) -> language_pb2.GetProgramDependenciesResponse:
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(
        self, request: language_pb2.InstallDependenciesRequest, context: Context
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        return iter(())

    def Cancel(self, request: empty_pb2.Empty, context: Context) -> empty_pb2.Empty:
        self.kill_programs()
        return empty_pb2.Empty()

    def kill_programs(self) -> None:
        """End every program this host started: once the engine cancels or is gone, a
        program has no one to register resources with, and would otherwise live on."""
        with self.lock:
            for proc in self.running:
                proc.kill()

    def Run(self, request: language_pb2.RunRequest, context: Context) -> language_pb2.RunResponse:
        info = request.info
        options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
        python = virtualenv_python(info.root_directory, options.get("virtualenv"))
        if python is None:
            return language_pb2.RunResponse(
                error="Pulumi.yaml's runtime has no usable 'virtualenv' option: "
                "run scripts/bootstrap to create .venv"
            )
        args = [str(python), "-u", str(self.exec_script), *exec_arguments(request, self.engine)]
        env = dict(os.environ)
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONHOME", None)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        proc = subprocess.Popen(args, env=env, cwd=request.pwd or None, stderr=subprocess.PIPE)
        with self.lock:
            self.running.add(proc)
        try:
            with proc:  # closes the stderr pipe once the program has exited
                forward(proc.stderr, sys.stderr.buffer)
                code = proc.wait()
        finally:
            with self.lock:
                self.running.discard(proc)
        if code == 0:
            return language_pb2.RunResponse()
        if code == USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")


def forward(source: IO[bytes] | None, sink: IO[bytes]) -> None:
    """Copy the program's stderr to ours (the engine shows it) until it closes."""
    if source is None:
        return
    for chunk in iter(lambda: source.read1(65536), b""):
        sink.write(chunk)
        sink.flush()


def virtualenv_python(root: str, venv: str | None) -> Path | None:
    """The virtualenv's interpreter named by Pulumi.yaml, relative to the project root."""
    if not venv:
        return None
    python = Path(root, venv) / "bin" / "python"
    return python if python.exists() else None


def exec_arguments(request: language_pb2.RunRequest, engine: str) -> list[str]:
    """The command line the exec script parses; the same flags the official host passes."""
    flags = {
        "monitor": request.monitor_address,
        "engine": engine,
        "project": request.project,
        "root_directory": request.info.root_directory,
        "stack": request.stack,
        "pwd": request.pwd,
        "dry_run": "true" if request.dryRun else "false",
        "parallel": str(request.parallel),
        "organization": request.organization,
    }
    args = [item for key, value in flags.items() if value for item in (f"--{key}", value)]
    return [*args, request.info.entry_point or ".", *request.args]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The engine's command line: `[-tracing URL] [ENGINE_ADDRESS]`, plus the executor we add."""
    parser = argparse.ArgumentParser(prog="pulumi-language-python")
    parser.add_argument("-version", "--version", action="store_true")
    parser.add_argument("-use-executor", dest="executor", required=False)
    parser.add_argument("-tracing")
    parser.add_argument("engine", nargs="?", default="")
    args, _ = parser.parse_known_args(argv)
    return args


def main() -> None:
    args = parse_args(sys.argv[1:])
    if args.version:
        print(VERSION)
        return
    exec_script = Path(args.executor or Path(sys.argv[0]).parent / EXEC_NAME)
    if not exec_script.exists():
        sys.exit(f"{exec_script} is missing: run scripts/bootstrap")
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    host = PythonHost(exec_script.absolute(), args.engine)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    for signum in (signal.SIGINT, signal.SIGTERM):  # the engine interrupts plugins when done
        signal.signal(signum, lambda *_: (host.kill_programs(), server.stop(0)))
    linger = float(os.environ.get(LINGER_ENV) or 0)
    stop_when_orphaned(server, host, os.getppid(), linger)
    server.wait_for_termination()


def stop_when_orphaned(
    server: grpc.Server, host: PythonHost, engine_pid: int, linger: float = 0.0
) -> None:
    """Exit, and end the program, if the engine dies without stopping us (the official host
    health-checks it), after `linger` seconds in which the program is left to itself. The
    program goes first: a Run call waits for it, and the server's threads are joined at exit."""

    def watch() -> None:
        while os.getppid() == engine_pid:
            time.sleep(ORPHAN_CHECK_INTERVAL)
        time.sleep(linger)
        host.kill_programs()
        server.stop(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    main()
