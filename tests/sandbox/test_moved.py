"""A renamed portal answers 302 with the same path at its new address."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sandbox import Sandbox

from .conftest import APP, SECRET, Portal

GET = "telephony.externalLine.get"


def test_302_to_a_second_sandbox_sharing_the_state(tmp_path: Path) -> None:
    state = str(tmp_path / "portal.db")
    with Sandbox(rate=0, state_path=state) as old, Sandbox(rate=0, state_path=state) as new:
        old.add_app(APP, SECRET)
        portal = Portal(old)
        portal.ok("telephony.externalLine.add", NUMBER="100")
        old.move_to(new.url)
        url = f"{old.url}/rest/{GET}.json?auth={portal.tokens['access_token']}"
        moved = portal.http.post(url, allow_redirects=False)
        assert moved.status_code == 302
        assert moved.headers["Location"] == url.replace(old.url, new.url)
        again = portal.http.post(moved.headers["Location"], allow_redirects=False)
        assert again.json()["result"] == [{"NUMBER": "100", "NAME": "", "CRM_AUTO_CREATE": "Y"}]
        assert old.request_log()[-1]["status"] == 302
        refreshed = portal.oauth(
            grant_type="refresh_token",
            client_id=APP,
            client_secret=SECRET,
            refresh_token=portal.tokens["refresh_token"],
        ).json()
        assert refreshed["client_endpoint"] == new.url + "/rest/"


def test_302_to_the_same_sandbox_under_another_host_alias(portal: Portal, sandbox) -> None:
    alias = f"http://localhost:{urlsplit(sandbox.url).port}"
    sandbox.move_to(alias)
    naive = portal.call(GET)  # requests follows the 302 as a GET and drops the JSON body
    assert [r.status_code for r in naive.history] == [302]
    assert naive.json()["error"] == "NO_AUTH_FOUND"
    moved = portal.http.post(
        f"{sandbox.url}/rest/{GET}",
        allow_redirects=False,
        json={"auth": portal.tokens["access_token"]},
    )
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"{alias}/rest/{GET}"
    reply = portal.http.post(
        moved.headers["Location"], json={"auth": portal.tokens["access_token"]}
    )
    assert reply.status_code == 200 and reply.json()["result"] == []
    sandbox.move_to(None)
    assert portal.call(GET).history == []
