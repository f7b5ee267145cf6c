"""A state file keeps applications, tokens, lines, handlers, calls and IDs across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox import WEBHOOK_POOL, Sandbox

from .conftest import APP, SECRET, Portal


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "portal.db")
    with Sandbox(rate=0, state_path=state) as first:
        first.add_app(APP, SECRET)
        portal = Portal(first)
        tokens = portal.tokens
        portal.ok("telephony.externalLine.add", NUMBER="100", NAME="kept")
        portal.ok("telephony.externalLine.add", NUMBER="200")
        portal.ok("telephony.externalLine.delete", NUMBER="200")
        member_id = tokens["member_id"]
    with Sandbox(rate=0, state_path=state) as second:
        portal = Portal(second)
        assert portal.tokens["member_id"] == member_id
        body = {"auth": tokens["access_token"], "NUMBER": "300"}
        reply = portal.http.post(f"{second.url}/rest/telephony.externalLine.add", json=body)
        assert reply.json()["result"] == {"ID": 3}
        assert [line["NAME"] for line in second.lines(APP)] == ["kept", ""]
        refreshed = portal.oauth(
            grant_type="refresh_token",
            client_id=APP,
            client_secret=SECRET,
            refresh_token=tokens["refresh_token"],
        )
        assert refreshed.status_code == 200


def test_re_registering_an_app_keeps_its_lines(tmp_path: Path) -> None:
    with Sandbox(state_path=str(tmp_path / "portal.db")) as sb:
        assert sb.add_app(APP, SECRET) == 1
        sb.seed_line(APP, "100")
        assert sb.add_app(APP, "new secret", scopes=("telephony", "crm")) == 1
        assert len(sb.lines(APP)) == 1
        assert sb.issue_tokens(APP)["scope"] == "telephony,crm"


def test_lines_of_an_older_state_file_are_carried_over(tmp_path: Path) -> None:
    """A demo's state file written before the table took voximplant's shape keeps its
    lines, the webhook's ones moving to the NULL application, and new IDs still pass every
    one the old table gave."""
    state = str(tmp_path / "portal.db")
    with Sandbox(state_path=state) as sb:
        sb.add_app(APP, SECRET)
    db = sqlite3.connect(state)
    db.executescript(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY AUTOINCREMENT, pool TEXT NOT NULL,"
        " number TEXT NOT NULL, name TEXT NOT NULL, crm_auto_create TEXT NOT NULL,"
        " UNIQUE (pool, number));"
        f" INSERT INTO lines VALUES (7, '{APP}', '100', 'kept', 'N');"
        " INSERT INTO lines VALUES (9, 'webhook', '200', 'hook', 'Y');"
        " UPDATE sqlite_sequence SET seq = 12 WHERE name = 'lines';"  # 10-12 were deleted
    )
    db.close()
    with Sandbox(state_path=state) as sb:
        assert sb.lines(APP) == [{"ID": 7, "NUMBER": "100", "NAME": "kept", "CRM_AUTO_CREATE": "N"}]
        assert [line["ID"] for line in sb.lines(WEBHOOK_POOL)] == [9]
        assert sb.seed_line(APP, "300") == 13
    with Sandbox(state_path=state) as sb:
        assert len(sb.lines(APP)) == 2


def test_handlers_history_and_permission_survive_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "portal.db")
    with Sandbox(rate=0, state_path=state) as first:
        first.add_app(APP, SECRET)
        first.bind_event(APP)
        call_id = first.place_call(APP, "+74951234567", days_ago=5)
        first.deny_statistics(APP)
        calls = first.calls(APP)
    with Sandbox(rate=0, state_path=state) as second:
        assert second.handlers(APP) == [
            {"event": "ONEXTERNALCALLSTART", "handler": "https://pbx.example/handler"}
        ]
        assert second.calls(APP) == calls and calls[0]["CALL_ID"] == call_id
        assert Portal(second).call("voximplant.statistic.get").status_code == 403
        second.place_call(APP, "+74951234567")
        assert [row["ID"] for row in second.calls()] == ["1", "2"]


def test_a_state_file_from_before_the_permission_gains_it(tmp_path: Path) -> None:
    """An apps table written before the permission's column keeps its applications, and
    they start with the permission."""
    state = str(tmp_path / "portal.db")
    db = sqlite3.connect(state)
    db.executescript(
        "CREATE TABLE apps (id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL"
        " UNIQUE, secret TEXT NOT NULL, scopes TEXT NOT NULL);"
        f" INSERT INTO apps (client_id, secret, scopes) VALUES ('{APP}', '{SECRET}', 'telephony');"
    )
    db.close()
    with Sandbox(rate=0, state_path=state) as sb:
        portal = Portal(sb)
        assert portal.ok("voximplant.statistic.get") == []
        sb.deny_statistics(APP)
        assert portal.call("voximplant.statistic.get").status_code == 403
