"""The state backends the e2e tests run on: a folder (`file://`) or a PostgreSQL database.

Pulumi's self-managed backends keep the same objects whatever holds them (pulumi/pulumi
`pkg/backend/diy`): `.pulumi/stacks/…`, `.pulumi/history/…` and, while a run holds the
stack, a lock object `.pulumi/locks/organization/<project>/<stack>/<id>.json` holding the
pid, user, host and time of the run. A folder keeps them as files; PostgreSQL as rows of
the table `pulumi_state` (key, data as base64 in JSON), their keys starting with the
database's name. `Backend.locks()` reads them from either, to see what a dead run left.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.postgres import PostgresServer

LOCKS = ".pulumi/locks/"
# What `pulumi up` says when another run holds the stack (pkg/backend/diy/lock.go).
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es)"
    " to end or delete the lock file with `pulumi cancel`."
)
TABLE = "pulumi_state"  # Pulumi's default, used when the URL has no `table=` parameter


@dataclass(frozen=True)
class Backend:
    """One test's state backend: its URL, and where to look inside it."""

    url: str = field(repr=False)  # a postgres:// one holds the password: not in tracebacks
    server: PostgresServer | None = field(default=None, repr=False)  # None: a folder
    database: str = ""

    @classmethod
    def folder(cls, path: Path) -> Backend:
        path.mkdir(parents=True, exist_ok=True)
        return cls(f"file://{path}")

    @classmethod
    def postgres(cls, server: PostgresServer, database: str) -> Backend:
        return cls(server.database(database), server, database)

    def __repr__(self) -> str:
        return f"Backend({self.kind}, {self.database or self.url})"

    @property
    def kind(self) -> str:
        return "file" if self.server is None else "postgres"

    @property
    def secrets(self) -> set[str]:
        """What must never show in the CLI's output: the database password."""
        return set() if self.server is None else {self.server.password}

    def emptied_sidecars(self) -> list[Path]:
        """A folder's metadata files (`<object>.attrs`) that a kill left empty. gocloud's
        fileblob rewrites them in place (`blob/fileblob/attrs.go`), not by a rename as it
        does the objects, so a `kill -9` in a checkpoint write can leave the stack's empty,
        and every command then fails with "failed to load checkpoint: EOF". A database
        writes each row whole: it has none."""
        if self.server is not None:
            return []
        root = Path(self.url.removeprefix("file://"))
        return [path for path in root.rglob("*.attrs") if path.stat().st_size == 0]

    def locks(self) -> dict[str, dict[str, Any]]:
        """Each lock object in the backend, by its key, with what it says (pid, hostname…)."""
        if self.server is None:
            root = Path(self.url.removeprefix("file://"))
            return {
                str(path.relative_to(root)): json.loads(path.read_text())
                for path in (root / LOCKS).rglob("*.json")
            }
        prefix = f"{self.database}/{LOCKS}"
        rows = self.server.query(
            self.database, f"SELECT key, data->>'data' FROM {TABLE} WHERE key LIKE '{prefix}%'"
        )
        return {
            key: json.loads(base64.b64decode(data))
            for key, data in (row.split("|", 1) for row in rows)
        }
