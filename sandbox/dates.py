"""Dates as the portal writes and reads them: ISO 8601 with the portal's UTC offset.

CRestUtil::ConvertDateTime writes a date as `date('c')` does, e.g.
2026-11-07T00:00:00+03:00; CRestUtil::unConvertDateTime reads one with PHP's strtotime
(`modules/rest/classes/general/rest_util.php`). Both keep the instant, so the sandbox
keeps dates as unix times and compares them as instants.
"""

from __future__ import annotations

from datetime import datetime

ZONE = datetime.now().astimezone().tzinfo
"""The machine's time zone, as a portal reports its own (read once: it costs per call)."""


def iso(moment: float) -> str:
    """A unix time as the portal writes it: ISO 8601, to the second, with its offset."""
    return datetime.fromtimestamp(moment, ZONE).isoformat(timespec="seconds")


def instant(text: object) -> float | None:
    """The unix time an ISO 8601 date means, or None when it is not one.

    An offset (or Z) is honoured; a date without one is the portal's local time, as
    strtotime reads it. strtotime also reads phrases such as "yesterday", which a client
    of these methods has no reason to send and the sandbox refuses.
    """
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment.timestamp()
