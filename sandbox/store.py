"""The portal's state in SQLite: applications, tokens, webhooks, lines, event handlers,
calls in progress and the call history.

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

The event handlers copy the rest module's `b_rest_event` (`avshatalov48/bitrix-core-business`,
`modules/rest/lib/event.php`), with its uniqueness of (application, event, handler, user).
Calls copy voximplant's `b_voximplant_call` (a call between `telephony.externalCall.register`
and `.finish`) and the call history its `b_voximplant_statistic` (`install/db/mysql/install.sql`),
column for column; CALL_START_DATE is kept as a unix time, and compared as one.
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

NUMBER_MAX = 50
"""A line's NUMBER is varchar(50): a longer one fails as the database would, with "DB error",
and telephony.externalCall.register cuts a LINE_NUMBER to it."""
NAME_MAX = 255
"""A line's NAME is varchar(255)."""

STATISTIC_COLUMNS: dict[str, str] = {
    "ID": "int",
    "ACCOUNT_ID": "int",
    "APPLICATION_ID": "int",
    "APPLICATION_NAME": "text",
    "PORTAL_USER_ID": "int",
    "PORTAL_NUMBER": "text",
    "PHONE_NUMBER": "text",
    "INCOMING": "text",
    "SESSION_ID": "int",
    "CALL_ID": "text",
    "EXTERNAL_CALL_ID": "text",
    "CALL_CATEGORY": "text",
    "CALL_LOG": "text",
    "CALL_DIRECTION": "text",
    "CALL_DURATION": "int",
    "CALL_START_DATE": "date",
    "CALL_STATUS": "int",
    "CALL_FAILED_CODE": "text",
    "CALL_FAILED_REASON": "text",
    "CALL_RECORD_ID": "int",
    "CALL_RECORD_URL": "text",
    "CALL_WEBDAV_ID": "int",
    "CALL_VOTE": "int",
    "COST": "float",
    "COST_CURRENCY": "text",
    "CRM_ENTITY_TYPE": "text",
    "CRM_ENTITY_ID": "int",
    "CRM_ACTIVITY_ID": "int",
    "REST_APP_ID": "int",
    "REST_APP_NAME": "text",
    "TRANSCRIPT_PENDING": "text",
    "TRANSCRIPT_ID": "int",
    "REDIAL_ATTEMPT": "int",
    "COMMENT": "text",
    "RECORD_DURATION": "int",
}
"""The columns of `b_voximplant_statistic` in install.sql's order, each with the kind of
value it holds (int, float, text, or date: a unix time here, datetime there). They are
also the fields voximplant.statistic.get filters and sorts by."""

_SQL_TYPE = {"int": "INTEGER", "float": "REAL", "text": "TEXT", "date": "REAL"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    statistics_denied INTEGER NOT NULL DEFAULT 0
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
CREATE TABLE IF NOT EXISTS rest_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_handler TEXT NOT NULL,
    user_id INTEGER NOT NULL DEFAULT 0,
    UNIQUE (app, event_name, event_handler, user_id)
);
CREATE TABLE IF NOT EXISTS voximplant_call (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL UNIQUE,
    external_call_id TEXT,
    user_id INTEGER NOT NULL,
    incoming TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    date_create REAL NOT NULL,
    rest_app_id INTEGER,
    external_line_id INTEGER,
    portal_number TEXT NOT NULL,
    crm_entity_type TEXT,
    crm_entity_id INTEGER
);
"""

_STATISTIC_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS voximplant_statistic (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + ", ".join(
        f"{name.lower()} {_SQL_TYPE[kind]}"
        for name, kind in STATISTIC_COLUMNS.items()
        if name != "ID"
    )
    + ");"
    " CREATE INDEX IF NOT EXISTS statistic_by_date ON voximplant_statistic (call_start_date);"
)

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
    statistics_denied: bool = False
    """Its authorising user lacks "Call Statistics - View" (voximplant.statistic.get)."""


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


@dataclass(frozen=True)
class Handler:
    """An event handler an application has bound (a row of `b_rest_event`)."""

    event: str
    """The event's name, upper-cased as the rest module stores it."""
    handler: str
    user_id: int
    """The user whose authorisation the handler gets; 0 for whoever caused the event."""


@dataclass(frozen=True)
class OpenCall:
    """A call registered and not yet finished (a row of `b_voximplant_call`)."""

    call_id: str
    external_call_id: str | None
    user_id: int
    incoming: str
    """The call's TYPE: 1 outgoing, 2 incoming, ... as the text the column holds."""
    caller_id: str
    """The other party's number (PHONE_NUMBER), its letters stripped."""
    date_create: float
    """When it started (CALL_START_DATE, or the time of registration), a unix time."""
    rest_app_id: int | None
    external_line_id: int | None
    portal_number: str
    """The line's number, or REST_APP:<application ID> when the call named none."""
    crm_entity_type: str | None
    crm_entity_id: int | None


_CALL_COLUMNS = (
    "call_id, external_call_id, user_id, incoming, caller_id, date_create, rest_app_id,"
    " external_line_id, portal_number, crm_entity_type, crm_entity_id"
)
"""The calls table's columns in OpenCall's field order."""


class LineExists(Exception):
    """The pool already has a line with this NUMBER (the table's unique key)."""


def _scopes(text: str) -> tuple[str, ...]:
    return tuple(s for s in text.split(",") if s)


_APP_COLUMNS = "id, client_id, secret, scopes, statistics_denied"
"""The apps table's columns in App's field order."""


def _app_of(row: tuple) -> App:
    """An App from the first five columns of `row`, in _APP_COLUMNS order."""
    app_id, client_id, secret, scopes, denied = row[:5]
    return App(app_id, client_id, secret, _scopes(scopes), bool(denied))


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
            self._db.executescript(_SCHEMA + _STATISTIC_SCHEMA)
            self._migrate()
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('member_id', ?)", (secrets.token_hex(16),)
            )

    def close(self) -> None:
        """Release the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def _migrate(self) -> None:
        """Bring a state file written by an older sandbox up to date (a demo's state file
        survives a `git pull`): new tables are made by the schema's CREATE IF NOT EXISTS,
        new columns and moved rows here, in one transaction."""
        self._db.execute("BEGIN IMMEDIATE")  # two sandboxes may open one file at once
        try:
            self._carry_over_lines()
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(apps)")]
            if "statistics_denied" not in columns:
                self._db.execute(
                    "ALTER TABLE apps ADD COLUMN statistics_denied INTEGER NOT NULL DEFAULT 0"
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _carry_over_lines(self) -> None:
        """Move lines from the table of sandboxes before `external_lines`, so a demo portal
        keeps its lines."""
        old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lines'"
        if not self._db.execute(old).fetchall():
            return
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
            self._db.execute("INSERT INTO sqlite_sequence VALUES ('external_lines', ?)", (seq,))
        self._db.execute("DROP TABLE lines")

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
        row = self._one(f"SELECT {_APP_COLUMNS} FROM apps WHERE client_id = ?", (client_id,))
        return _app_of(row) if row else None

    def app_by_id(self, app_id: int) -> App | None:
        """The registered application with this ID (app.info's ID), if any."""
        row = self._one(f"SELECT {_APP_COLUMNS} FROM apps WHERE id = ?", (app_id,))
        return _app_of(row) if row else None

    def deny_statistics(self, client_id: str, denied: bool) -> bool:
        """Take "Call Statistics - View" from the application's user (or give it back);
        False when there is no such application."""
        return (
            self._run(
                "UPDATE apps SET statistics_denied = ? WHERE client_id = ?",
                (int(denied), client_id),
            )
            > 0
        )

    def app_ids(self) -> list[str]:
        """Client ids of every registered application."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT client_id FROM apps ORDER BY id")]

    def remove_app(self, client_id: str) -> bool:
        """Uninstall: the application, its tokens, its event handlers and all of its lines go."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute("DELETE FROM apps WHERE client_id = ?", (client_id,))
                self._db.execute("DELETE FROM tokens WHERE client_id = ?", (client_id,))
                self._db.execute("DELETE FROM external_lines WHERE app = ?", (client_id,))
                # CRestUtil::cleanApp drops its handlers; the call history stays.
                self._db.execute("DELETE FROM rest_event WHERE app = ?", (client_id,))
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
        columns = ", ".join(f"a.{column.strip()}" for column in _APP_COLUMNS.split(","))
        row = self._one(
            f"SELECT t.token, t.kind, t.client_id, t.expires, t.scopes, {columns}"
            " FROM tokens t JOIN apps a ON a.client_id = t.client_id"
            " WHERE t.token = ? AND t.kind = ?",
            (token, kind),
        )
        if row is None:
            return None
        return _token(row), _app_of(row[5:])

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

    # Event handlers

    def bind_event(self, client_id: str, event: str, handler: str, user_id: int) -> bool:
        """Bind a handler; False when this very one is bound already (the table refuses a
        second row of the same application, event, handler and user)."""
        try:
            self._run(
                "INSERT INTO rest_event (app, event_name, event_handler, user_id)"
                " VALUES (?, ?, ?, ?)",
                (client_id, event, handler, user_id),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def unbind_events(
        self, client_id: str, event: str, handler: str | None, user_id: int | None
    ) -> int:
        """Remove the application's handlers of `event` (only `handler`'s, and only
        `user_id`'s, when given); how many went."""
        sql, args = "DELETE FROM rest_event WHERE app = ? AND event_name = ?", [client_id, event]
        for column, value in (("event_handler", handler), ("user_id", user_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return self._run(sql, tuple(args))

    def handlers(self, client_id: str) -> list[Handler]:
        """The application's handlers in the order they were bound."""
        with self._lock:
            rows = self._db.execute(
                "SELECT event_name, event_handler, user_id FROM rest_event WHERE app = ?"
                " ORDER BY id",
                (client_id,),
            ).fetchall()
        return [Handler(*row) for row in rows]

    # Calls in progress

    def add_call(self, call: OpenCall) -> None:
        """Record a registered call until it is finished."""
        marks = ", ".join("?" * len(_CALL_COLUMNS.split(",")))
        self._run(
            f"INSERT INTO voximplant_call ({_CALL_COLUMNS}) VALUES ({marks})",
            tuple(vars(call).values()),
        )

    def call(self, call_id: str) -> OpenCall | None:
        """The registered, unfinished call with this CALL_ID."""
        row = self._one(
            f"SELECT {_CALL_COLUMNS} FROM voximplant_call WHERE call_id = ?", (call_id,)
        )
        return OpenCall(*row) if row else None

    def recent_call(self, like: OpenCall, since: float) -> OpenCall | None:
        """An unfinished call registered after `since` by the same application and user,
        with the same other party, type, line and external call ID (None: any), which
        Rest\\Helper::registerExternalCall answers with instead of a new call."""
        sql = (
            f"SELECT {_CALL_COLUMNS} FROM voximplant_call WHERE user_id = ? AND caller_id = ?"
            " AND incoming = ? AND rest_app_id IS ? AND date_create > ?"
        )
        args: list[object] = [like.user_id, like.caller_id, like.incoming, like.rest_app_id, since]
        for column, value in (
            ("external_line_id", like.external_line_id),
            ("external_call_id", like.external_call_id),
        ):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        row = self._one(sql + " ORDER BY id LIMIT 1", tuple(args))
        return OpenCall(*row) if row else None

    def delete_call(self, call_id: str) -> None:
        """Forget a finished call."""
        self._run("DELETE FROM voximplant_call WHERE call_id = ?", (call_id,))

    # Call history

    def add_statistic(self, row: dict[str, object]) -> int:
        """Write a finished call's row (keys from STATISTIC_COLUMNS); its new ID."""
        unknown = set(row) - set(STATISTIC_COLUMNS) - {"ID"}
        assert not unknown, unknown
        names = ", ".join(name.lower() for name in row)
        marks = ", ".join("?" * len(row))
        with self._lock:
            cursor = self._db.execute(
                f"INSERT INTO voximplant_statistic ({names}) VALUES ({marks})", tuple(row.values())
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def statistics(self) -> list[dict[str, object]]:
        """Every row of the call history, by ID, keyed by STATISTIC_COLUMNS."""
        names = ", ".join(name.lower() for name in STATISTIC_COLUMNS)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {names} FROM voximplant_statistic ORDER BY id"
            ).fetchall()
        return [dict(zip(STATISTIC_COLUMNS, row, strict=True)) for row in rows]
