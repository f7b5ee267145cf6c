"""Which application the credentials act as, and whether calls reach its lines.

A line is found by the application that registers a call (`Helper::registerExternalCall`
looks it up by the caller's `REST_APP_ID` and NUMBER), and users are offered the lines
of applications bound to `OnExternalCallStart` (`Helper::getExternalCallHandlers`). So
the lines worth managing belong to the application through which the PBX integration
registers calls; a separate application's lines are used by no call and offered to no
user (docs/bitrix24-facts.md, "Whose lines matter"). `app.info` names the application;
`event.get` says whether it handles `OnExternalCallStart`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from provider.bitrix24.errors import ApiError, ServerFault
from provider.bitrix24.rest import RestClient

APP_INFO = "app.info"
EVENT_GET = "event.get"
EVENT = "OnExternalCallStart"
CALL_START = EVENT.upper()  # how event.get spells it
NO_HANDLER_FIX = (
    "authorise this tool as the local application your PBX integration registers calls"
    " through (docs/real-portal.md, 'Which application'); if it is that one, its handler was"
    " bound by another user, and event.get lists other users' handlers only to an"
    " administrator: authorise as one, or check the handler in the portal"
)


@dataclass(frozen=True)
class Application:
    """The calling application as the portal knows it; no secret."""

    id: str  # app.info's ID: the REST_APP_ID of its lines and of the calls it registers
    code: str
    status: str  # "L" for a local application
    installed: bool
    handles_calls: bool | None  # bound to OnExternalCallStart; None: not asked, or refused

    def no_handler_warning(self, portal: str) -> str | None:
        """The one-line warning when calls may not reach this application's lines."""
        if self.handles_calls is not False and self.installed:
            return None
        if not self.installed:
            why = "is not installed, so the portal sends it no event"
        else:
            why = f"has no {EVENT} handler that event.get shows"
        return (
            f"application {self.code or self.id} (ID {self.id}) on {portal} {why}: users are"
            " offered none of its lines, and they carry only the calls it registers itself, so"
            f" the lines managed here may be lines nobody uses. Fix: {NO_HANDLER_FIX}"
        )


def identify(client: RestClient) -> Application:
    """app.info alone: the application's ID, for what filters by it (the call history).
    Whether it handles calls is not asked (`handles_calls` None): `who` asks that too."""
    info = client.call(APP_INFO)
    if not isinstance(info, Mapping) or "ID" not in info:
        raise ServerFault(APP_INFO, 200, "", "a reply without the application's ID")
    return Application(
        id=str(info["ID"]),
        code=str(info.get("CODE") or ""),
        status=str(info.get("STATUS") or ""),
        installed=info.get("INSTALLED", True) not in (False, "N", 0, "0"),
        handles_calls=None,
    )


def who(client: RestClient) -> Application:
    """app.info and event.get of the credentials' application: two requests."""
    app = identify(client)
    try:
        events = client.call(EVENT_GET)
    except ApiError:  # not every user may list events; the warning then cannot be given
        return app
    handles = isinstance(events, list) and any(
        isinstance(event, Mapping) and str(event.get("event", "")).upper() == CALL_START
        for event in events
    )
    return dataclasses.replace(app, handles_calls=handles)
