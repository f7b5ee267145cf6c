"""The /_sandbox/ admin API drives the same operations over HTTP."""

from __future__ import annotations

from urllib.parse import quote

from .conftest import APP, Portal

GET = "telephony.externalLine.get"


def test_apps_tokens_and_lines_over_http(portal: Portal) -> None:
    created = portal.admin("POST", "apps", {"client_id": "app.2", "client_secret": "s2"})
    assert created.json() == {"client_id": "app.2", "id": 2}
    assert portal.admin("GET", "apps").json() == {"apps": [APP, "app.2"]}
    tokens = portal.admin("POST", "apps/app.2/tokens").json()
    assert portal.call(GET, token=tokens["access_token"]).json()["result"] == []
    number = quote("+7 495", safe="")
    assert portal.admin("POST", "apps/app.2/lines", {"NUMBER": "+7 495", "NAME": "x"}).json() == {
        "ID": 1
    }
    assert portal.admin("PATCH", f"apps/app.2/lines/{number}", {"NAME": "y"}).status_code == 200
    assert portal.admin("POST", "apps/app.2/calls", {"NUMBER": "300"}).json() == {"ID": 2}
    assert portal.admin("GET", "apps/app.2/lines").json() == [
        {"ID": 1, "NUMBER": "+7 495", "NAME": "y", "CRM_AUTO_CREATE": "Y"},
        {"ID": 2, "NUMBER": "300", "NAME": "", "CRM_AUTO_CREATE": "Y"},
    ]
    assert portal.admin("POST", "apps/app.2/collect").json() == {"deleted": 1}
    assert portal.admin("DELETE", f"apps/app.2/lines/{number}").json() == {"ok": True}
    assert portal.admin("GET", "apps/app.2/lines").json() == []
    code = portal.admin("POST", "apps/app.2/codes").json()["code"]
    assert (
        portal.oauth(
            grant_type="authorization_code", client_id="app.2", client_secret="s2", code=code
        ).status_code
        == 200
    )
    assert portal.admin("POST", "apps/app.2/revoke").json() == {"revoked": 2}
    assert portal.admin("DELETE", "apps/app.2").json() == {"ok": True}


def test_switches_faults_move_and_tokens_over_http(portal: Portal) -> None:
    assert (
        portal.admin("POST", "settings", {"webhooks_allowed": False}).json()["webhooks_allowed"]
        is False
    )
    assert portal.admin("GET", "settings").json()["error_code"] == ""
    assert portal.admin("POST", "webhooks", {"user_id": 1, "code": "abc"}).status_code == 200
    assert portal.webhook(1, "abc", GET).json()["error"] == "WRONG_AUTH_TYPE"
    faults = portal.admin("POST", "faults", {"error500": 1.0, "seed": 3}).json()
    assert (faults["error500"], faults["seed"], faults["drop"]) == (1.0, 3, 0.0)
    assert portal.call(GET).status_code == 500
    assert portal.admin("POST", "faults", {}).json()["error500"] == 0.0
    assert portal.admin("POST", "expire-tokens").json() == {"expired": 1}
    assert portal.call(GET).json()["error"] == "expired_token"
    assert portal.admin("POST", "move", {"url": "http://example.invalid/"}).json() == {
        "moved_to": "http://example.invalid"
    }
    moved = portal.http.post(f"{portal.sb.url}/rest/{GET}", allow_redirects=False)
    assert moved.headers["Location"] == f"http://example.invalid/rest/{GET}"
    assert portal.admin("POST", "move", {"url": None}).json() == {"moved_to": None}


def test_log_over_http(portal: Portal) -> None:
    portal.call(GET)
    log = portal.admin("GET", "log").json()
    assert [(e["method"], e["app"], e["status"]) for e in log] == [(GET, APP, 200)]
    assert portal.admin("DELETE", "log").json() == {"ok": True}
    assert portal.admin("GET", "log").json() == []


def test_admin_errors_are_readable(portal: Portal) -> None:
    assert portal.admin("GET", "nothing").status_code == 404
    missing = portal.admin("GET", "apps/app.9/lines")
    assert missing.status_code == 404 and "app.9" in missing.json()["error_description"]
    assert portal.admin("PUT", "log").json()["error"] == "METHOD_NOT_ALLOWED"
    bad = portal.admin("POST", "settings", {"rate": -1})
    assert bad.status_code == 400 and "rate must be >= 0" in bad.json()["error_description"]
    unknown = portal.admin("POST", "apps", {"client_id": "a", "secret": "s"})
    assert unknown.status_code == 400 and "secret" in unknown.json()["error_description"]
    assert portal.admin("POST", "faults", {"drop": 2}).status_code == 400
    assert portal.admin("POST", "faults", ["x"]).status_code == 400


def test_calls_handlers_and_the_permission_over_http(portal: Portal) -> None:
    placed = portal.admin(
        "POST", f"apps/{APP}/history", {"NUMBER": "+74951234567", "DAYS_AGO": 2, "DURATION": 7}
    ).json()
    [row] = portal.admin("GET", f"apps/{APP}/history").json()
    assert (row["CALL_ID"], row["CALL_DURATION"]) == (placed["CALL_ID"], "7")
    assert portal.admin("GET", "history").json() == [row]
    assert portal.admin("POST", f"apps/{APP}/events", {}).json() == [
        {"event": "ONEXTERNALCALLSTART", "handler": "https://pbx.example/handler"}
    ]
    assert portal.ok("event.get")[0]["event"] == "ONEXTERNALCALLSTART"
    assert portal.admin("DELETE", f"apps/{APP}/events/OnExternalCallStart").json() == {"ok": True}
    assert portal.admin("GET", f"apps/{APP}/events").json() == []
    assert portal.admin("POST", f"apps/{APP}/deny-statistics", {"denied": True}).json() == {
        "denied": True
    }
    assert portal.call("voximplant.statistic.get").status_code == 403
    bad = portal.admin("POST", f"apps/{APP}/events", {"event": "OnNothing"})
    assert bad.status_code == 400 and "unknown event" in bad.json()["error_description"]
