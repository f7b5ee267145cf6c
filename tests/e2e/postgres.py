"""A throw-away PostgreSQL server on loopback, the shared state backend of the e2e tests.

`scripts/bootstrap --dev` installs the server (Debian's `postgresql`) and links its bin
folder to `.cache/postgresql/bin`; this module starts it with a fresh data folder (initdb)
and password authentication, so the backend URL has the shape a pipeline's secret holds:
`postgres://user:password@127.0.0.1:port/database`. The server refuses to run as root, and
CI runs as root: it then runs as `nobody`, with its data folder under the system's temp
folder (pytest's own temp folders are private to root).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".cache" / "postgresql" / "bin"
HOST = "127.0.0.1"
USER = "pulumi"
NOBODY = 65534  # uid and gid of `nobody` and `nogroup` on Debian, macOS and most Linuxes
READY_POLLS = 200  # tries of 0.1 s for the server to accept connections: a hung start
INSTALL = "run scripts/bootstrap --dev, which installs Debian's `postgresql` and links it there"


class PostgresUnavailable(Exception):
    """The server could not be found or started; the message names the missing piece."""


@dataclass
class PostgresServer:
    """One running server: `database()` gives each test a fresh database and its URL."""

    bindir: Path
    folder: Path  # data/, the socket and the log; removed by stop()
    port: int
    password: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, bindir: Path = BIN) -> PostgresServer:
        for tool in ("initdb", "postgres", "psql"):
            if not (bindir / tool).exists():
                raise PostgresUnavailable(
                    f"the PostgreSQL server is missing: {bindir / tool} does not exist; {INSTALL}"
                )
        folder = Path(tempfile.mkdtemp(prefix="pulumi-e2e-postgres-"))
        server = cls(bindir, folder, _free_port(), secrets.token_hex(16))
        try:
            server._initdb()
            server._serve()
        except BaseException:
            server.stop()
            raise
        return server

    def _initdb(self) -> None:
        pwfile = self.folder / "password"
        pwfile.write_text(self.password)
        pwfile.chmod(0o600)
        _give_away(self.folder, pwfile)
        done = subprocess.run(
            [
                str(self.bindir / "initdb"),
                *("-D", str(self.folder / "data"), "-U", USER, f"--pwfile={pwfile}"),
                *("--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"),
            ],
            capture_output=True,
            text=True,
            check=False,
            **_unprivileged(),
        )
        pwfile.unlink()
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed ({done.returncode}):\n{done.stderr}")

    def _serve(self) -> None:
        log = (self.folder / "server.log").open("wb")
        # A throw-away server: no durability wanted, only speed.
        settings = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")
        self.process = subprocess.Popen(
            [
                str(self.bindir / "postgres"),
                *("-D", str(self.folder / "data"), "-h", HOST, "-p", str(self.port)),
                *("-k", str(self.folder)),
                *(arg for setting in settings for arg in ("-c", setting)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C of pytest reaches the server via stop() only
            **_unprivileged(),
        )
        log.close()
        for _ in range(READY_POLLS):
            if self.process.poll() is not None:
                break
            if self._psql("postgres", "SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise PostgresUnavailable(
            f"the PostgreSQL server did not start on {HOST}:{self.port}:\n{self.log()}"
        )

    def database(self, name: str) -> str:
        """A new empty database, and the backend URL that reaches it."""
        self._psql("postgres", f'CREATE DATABASE "{name}"')
        return f"postgres://{USER}:{self.password}@{HOST}:{self.port}/{name}?sslmode=disable"

    def reader(self, database: str, url: str) -> str:
        """A role that may only read `database`'s tables (roles are the server's: one per
        database), and `url` rewritten to log in as it: what a pipeline's preview job is
        given (docs/pipelines.md, "Least privilege")."""
        role = f"{database}_reader"
        password = secrets.token_hex(16)
        for sql in (
            f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
            f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        ):
            self._psql(database, sql)
        return url.replace(f"{USER}:{self.password}@", f"{role}:{password}@")

    def query(self, database: str, sql: str) -> list[str]:
        """The rows `sql` returns in `database`, one line each, columns joined by `|`."""
        return self._psql(database, sql).stdout.splitlines()

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: no waiting for clients
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _psql(self, database: str, sql: str, *, check: bool = True):
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                *("-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(self.port)),
                *("-U", USER, "-d", database, "-c", sql),
            ],
            env={**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "5"},
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"psql {sql!r} exited {done.returncode}: {done.stderr}")
        return done


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _unprivileged() -> dict:
    """Popen arguments that run the server as `nobody` when the tests run as root."""
    if os.geteuid() != 0:
        return {}
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


def _give_away(*paths: Path) -> None:
    if os.geteuid() == 0:
        for path in paths:
            os.chown(path, NOBODY, NOBODY)
