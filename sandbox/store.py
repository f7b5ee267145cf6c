"""The portal's state in SQLite: applications, tokens, webhooks and lines.

In memory by default; in a file when the portal must survive a restart (the demo).
One connection guarded by a lock keeps it thread-safe; AUTOINCREMENT keeps line IDs
growing across restarts and deletions, as the real table's IDs do.

The lines table copies the shape of voximplant's `b_voximplant_external_line`
(`avshatalov48/bitrix24-core-corp`, `modules/voximplant/lib/model/externalline.php` and
`install/db/mysql/install.sql`): one table for the applications' lines and the SIP
connector's numbers, told apart by `type`, with a unique key on (application, number).
A line made through an incoming webhook, and every SIP number, has no application (NULL),
and a unique key never holds for NULL, in MySQL as in SQLite: those rows may share a
number, and a lookup by number takes the first of them.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass

WEBHOOK_POOL = "webhook"
"""How callers name the lines with no application: those made through incoming webhooks,
and the SIP connector's numbers. The table holds NULL for it."""

REST_APP, SIP = "rest-app", "sip"
"""The two `type`s of a line (ExternalLineTable::TYPE_REST_APP and TYPE_SIP)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    scopes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    expires REAL NOT NULL,
    scopes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_app ON tokens (client_id, kind);
CREATE TABLE IF NOT EXISTS pairs (refresh TEXT PRIMARY KEY, access TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    user_id TEXT NOT NULL,
    code TEXT NOT NULL,
    scopes TEXT NOT NULL,
    PRIMARY KEY (user_id, code)
);
CREATE TABLE IF NOT EXISTS external_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    app TEXT,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    crm_auto_create TEXT NOT NULL,
    UNIQUE (app, number)
);
"""

_FIRST = "id = (SELECT id FROM external_lines WHERE app IS ? AND number = ? ORDER BY id LIMIT 1)"
"""The row a lookup by number reaches: Rest\\Helper's `ExternalLineTable::getRow` by
(application, number), the first of several where the application is NULL."""


def _app(pool: str) -> str | None:
    """The table's application column for a pool: NULL for WEBHOOK_POOL."""
    return None if pool == WEBHOOK_POOL else pool


@dataclass(frozen=True)
class App:
    """A registered application: its client credentials and granted scopes."""

    id: int
    client_id: str
    secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    """An issued access token, refresh token or authorization code."""

    token: str
    kind: str
    client_id: str
    expires: float
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Line:
    """One external line as the portal's table holds it."""

    id: int
    number: str
    name: str
    crm_auto_create: str


class LineExists(Exception):
    """The pool already has a line with this NUMBER (the table's unique key)."""


def _scopes(text: str) -> tuple[str, ...]:
    return tuple(s for s in text.split(",") if s)


TOKEN_COLUMNS = "token, kind, client_id, expires, scopes"
"""The tokens table's columns in Token's field order, for SELECT and RETURNING."""


def _token(row: tuple) -> Token:
    """A Token from the first five columns of `row`, in TOKEN_COLUMNS order."""
    token, kind, client_id, expires, scopes = row[:5]
    return Token(token, kind, client_id, expires, _scopes(scopes))


class Store:
    """Thread-safe access to the portal's tables."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, timeout=10
        )
        with self._lock:
            if path:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._carry_over_lines()
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('member_id', ?)", (secrets.token_hex(16),)
            )

    def close(self) -> None:
        """Release the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def _carry_over_lines(self) -> None:
        """Move lines from the table of sandboxes before `external_lines` (a demo's state
        file survives a `git pull`), so a demo portal keeps its lines."""
        self._db.execute("BEGIN IMMEDIATE")  # two sandboxes may open one file at once
        try:
            old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lines'"
            if self._db.execute(old).fetchall():
                self._db.execute(
                    "INSERT INTO external_lines (id, type, app, number, name, crm_auto_create)"
                    f" SELECT id, '{REST_APP}', NULLIF(pool, '{WEBHOOK_POOL}'), number, name,"
                    " crm_auto_create FROM lines"
                )
                # IDs keep growing past the old table's deleted ones too: its counter moves.
                (seq,) = self._db.execute(
                    "SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ('lines', 'external_lines')"
                ).fetchone()
                self._db.execute("DELETE FROM sqlite_sequence WHERE name = 'external_lines'")
                if seq is not None:
                    self._db.execute(
                        "INSERT INTO sqlite_sequence VALUES ('external_lines', ?)", (seq,)
                    )
                self._db.execute("DROP TABLE lines")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        # fetchall, not fetchone: a RETURNING statement only finishes (and releases
        # its write lock) once every row has been read.
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return rows[0] if rows else None

    def _run(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def member_id(self) -> str:
        """The portal's member_id, fixed when the state is created."""
        row = self._one("SELECT value FROM meta WHERE key = 'member_id'")
        assert row is not None
        return row[0]

    # Applications

    def put_app(self, client_id: str, secret: str, scopes: tuple[str, ...]) -> App:
        """Register an application, or update the secret and scopes of a known one."""
        self._run(
            "INSERT INTO apps (client_id, secret, scopes) VALUES (?, ?, ?) ON CONFLICT"
            " (client_id) DO UPDATE SET secret = excluded.secret, scopes = excluded.scopes",
            (client_id, secret, ",".join(scopes)),
        )
        app = self.app(client_id)
        assert app is not None
        return app

    def app(self, client_id: str) -> App | None:
        """The registered application with this client id, if any."""
        row = self._one(
            "SELECT id, client_id, secret, scopes FROM apps WHERE client_id = ?", (client_id,)
        )
        return App(row[0], row[1], row[2], _scopes(row[3])) if row else None

    def app_ids(self) -> list[str]:
        """Client ids of every registered application."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT client_id FROM apps ORDER BY id")]

    def remove_app(self, client_id: str) -> bool:
        """Uninstall: the application, its tokens and all of its lines go."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute("DELETE FROM apps WHERE client_id = ?", (client_id,))
                self._db.execute("DELETE FROM tokens WHERE client_id = ?", (client_id,))
                self._db.execute("DELETE FROM external_lines WHERE app = ?", (client_id,))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return gone.rowcount > 0

    # Tokens (kinds: "access", "refresh", "code")

    def put_token(self, token: Token) -> None:
        """Record an issued token."""
        self._run(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?)",
            (token.token, token.kind, token.client_id, token.expires, ",".join(token.scopes)),
        )

    def token(self, token: str, kind: str) -> Token | None:
        """An issued token of this kind, expired or not."""
        row = self._one(
            f"SELECT {TOKEN_COLUMNS} FROM tokens WHERE token = ? AND kind = ?", (token, kind)
        )
        return _token(row) if row else None

    def token_with_app(self, token: str, kind: str) -> tuple[Token, App] | None:
        """An issued token and its application in one query: every REST call needs both."""
        row = self._one(
            "SELECT t.token, t.kind, t.client_id, t.expires, t.scopes, a.id, a.secret, a.scopes"
            " FROM tokens t JOIN apps a ON a.client_id = t.client_id"
            " WHERE t.token = ? AND t.kind = ?",
            (token, kind),
        )
        if row is None:
            return None
        issued = _token(row)
        return issued, App(row[5], issued.client_id, row[6], _scopes(row[7]))

    def take_token(self, token: str, kind: str) -> Token | None:
        """Remove and return a single-use token; of two racing callers only one gets it."""
        row = self._one(
            f"DELETE FROM tokens WHERE token = ? AND kind = ? RETURNING {TOKEN_COLUMNS}",
            (token, kind),
        )
        return _token(row) if row else None

    def put_pair(self, refresh: str, access: str) -> None:
        """Remember which access token was issued with a refresh token."""
        self._run("INSERT INTO pairs VALUES (?, ?)", (refresh, access))

    def take_pair(self, refresh: str) -> str | None:
        """Forget, and return, the access token issued with this refresh token."""
        row = self._one("DELETE FROM pairs WHERE refresh = ? RETURNING access", (refresh,))
        return row[0] if row else None

    def expire_tokens(self, kind: str, now: float, client_id: str | None = None) -> int:
        """Make every token of this kind (of one application, or all) expire at `now`."""
        sql = "UPDATE tokens SET expires = MIN(expires, ?) WHERE kind = ?"
        args: tuple = (now, kind)
        if client_id is not None:
            sql, args = sql + " AND client_id = ?", (*args, client_id)
        return self._run(sql, args)

    def delete_tokens(self, client_id: str, kind: str) -> int:
        """Revoke every token of this kind an application holds."""
        return self._run("DELETE FROM tokens WHERE client_id = ? AND kind = ?", (client_id, kind))

    # Incoming webhooks

    def put_webhook(self, user_id: str, code: str, scopes: tuple[str, ...]) -> None:
        """Create an incoming webhook, or change the scopes of an existing one."""
        self._run(
            "INSERT OR REPLACE INTO webhooks VALUES (?, ?, ?)", (user_id, code, ",".join(scopes))
        )

    def webhook_scopes(self, user_id: str, code: str) -> tuple[str, ...] | None:
        """The scopes of this webhook, or None when the credentials are wrong."""
        row = self._one(
            "SELECT scopes FROM webhooks WHERE user_id = ? AND code = ?", (user_id, code)
        )
        return _scopes(row[0]) if row else None

    # Lines

    def lines(self, pool: str) -> list[Line]:
        """The pool's lines, oldest first; for WEBHOOK_POOL, the SIP numbers too."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, number, name, crm_auto_create FROM external_lines WHERE app IS ?"
                " ORDER BY id",
                (_app(pool),),
            ).fetchall()
        return [Line(*row) for row in rows]

    def line(self, pool: str, number: str) -> Line | None:
        """The pool's line with exactly this NUMBER (the first, where several share it)."""
        row = self._one(
            f"SELECT id, number, name, crm_auto_create FROM external_lines WHERE {_FIRST}",
            (_app(pool), number),
        )
        return Line(*row) if row else None

    def add_line(
        self, pool: str, number: str, name: str, crm_auto_create: str, kind: str = REST_APP
    ) -> int:
        """Insert a line and return its new ID; LineExists when the unique key refuses it,
        which it never does for WEBHOOK_POOL."""
        try:
            with self._lock:
                cursor = self._db.execute(
                    "INSERT INTO external_lines (type, app, number, name, crm_auto_create)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (kind, _app(pool), number, name, crm_auto_create),
                )
        except sqlite3.IntegrityError as err:
            raise LineExists(number) from err
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_line(
        self, pool: str, number: str, name: str | None, crm_auto_create: str | None
    ) -> int | None:
        """Change the given fields of a line; its ID, or None when there is no such line."""
        row = self._one(
            "UPDATE external_lines SET name = COALESCE(?, name),"
            f" crm_auto_create = COALESCE(?, crm_auto_create) WHERE {_FIRST} RETURNING id",
            (name, crm_auto_create, _app(pool), number),
        )
        return row[0] if row else None

    def delete_line(self, pool: str, number: str) -> bool:
        """Delete a line; False when there was none."""
        return self._run(f"DELETE FROM external_lines WHERE {_FIRST}", (_app(pool), number)) > 0

    def delete_unnamed_lines(self, pool: str) -> int:
        """Delete the lines the clean-up agent collects: no NAME and CRM_AUTO_CREATE=Y."""
        return self._run(
            f"DELETE FROM external_lines WHERE app IS ? AND type = '{REST_APP}' AND name = ''"
            " AND crm_auto_create = 'Y'",
            (_app(pool),),
        )
