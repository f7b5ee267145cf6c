"""Which lines carried calls lately: the portal's call history, `voximplant.statistic.get`.

A line matters through its calls. Deleting one that still carries them takes a busy
number out of the PBX integration's set, and the integration's next
`telephony.externalCall.register` makes it again, nameless. So before lines are deleted,
the program asks the call history about all of them at once (docs/bitrix24-facts.md,
"Call history"):

- One plain request first, every candidate in one `FILTER[PORTAL_NUMBER]` array (an
  array means "any of"), newest first. When that page holds every call, or asks about
  one line only (its `total` is the count), the counts and each line's last call are read
  off it: one request, however many lines.
- Otherwise the calls spread over more pages than are worth reading; one command per
  line then goes in `batch`es of 50, each command's `total` being that line's count and
  its first row its last call: one request per 50 lines, never one per line.

The calls counted are those the calling application registered (`REST_APP_ID`): the
lines of this application are the ones its registrations use. A reply that cannot be
read is a fault, never "no calls".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provider.bitrix24.batching import BATCH, BATCH_MAX, command, holds_reference, keyed
from provider.bitrix24.classify import classify
from provider.bitrix24.errors import AccessDenied, ServerFault
from provider.bitrix24.rest import RestClient

STATISTIC_GET = "voximplant.statistic.get"
PAGE = 50  # rows per page of a list method
PERMISSION = "Call Statistics - View"
DENIED_FIX = (
    f'give the user who authorised the application the telephony permission "{PERMISSION}"'
    " (Telephony > Access permissions) and run again; or, to delete without looking at"
    " calls, set in_use_guard: false in the stack file, which reviewers see"
)


@dataclass(frozen=True)
class Usage:
    """A line's calls within the window: how many, and when the newest started."""

    number: str
    calls: int
    last: str = ""  # the newest call's CALL_START_DATE as the portal wrote it; "" for none

    def __str__(self) -> str:
        if not self.calls:
            return f"{self.number} (no call)"
        plural = "" if self.calls == 1 else "s"
        return f"{self.number} ({self.calls} call{plural}, last {self.last})"


def recent(
    client: RestClient, numbers: Iterable[str], app_id: str, since: datetime
) -> dict[str, Usage]:
    """Each of `numbers` with the calls `app_id` registered on it since `since` (aware)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    base = {
        "FILTER": {"REST_APP_ID": app_id, ">=CALL_START_DATE": since.isoformat()},
        "SORT": "CALL_START_DATE",
        "ORDER": "DESC",
    }
    try:
        rows, total = _ask(client, base, wanted)
        if len(wanted) == 1:
            return {wanted[0]: _usage(wanted[0], rows, total)}
        if total <= len(rows):
            return _counted(wanted, rows)
        return _per_line(client, wanted, base)
    except AccessDenied as err:
        raise AccessDenied(
            err.method,
            err.status,
            err.code,
            f"{err.description} (the call history needs the permission {PERMISSION})",
            DENIED_FIX,
        ) from err


def _ask(
    client: RestClient, base: Mapping[str, Any], numbers: str | list[str]
) -> tuple[list[Mapping[str, str]], int]:
    """One plain request: the newest page of the calls on `numbers`, and their count."""
    params = {**base, "FILTER": {**base["FILTER"], "PORTAL_NUMBER": numbers}}
    reply = client.call(STATISTIC_GET, params, whole=True)
    return _page(reply.get("result"), reply.get("total"))


def _counted(wanted: Sequence[str], rows: Sequence[Mapping[str, str]]) -> dict[str, Usage]:
    """Counts and last calls from rows that hold every call, newest first."""
    usage = {number: Usage(number, 0) for number in wanted}
    for row in rows:
        number = row["PORTAL_NUMBER"]
        if number in usage:  # a row of another number would be the portal's mistake: ignored
            seen = usage[number]
            usage[number] = Usage(number, seen.calls + 1, seen.last or row["CALL_START_DATE"])
    return usage


def _per_line(
    client: RestClient, wanted: Sequence[str], base: Mapping[str, Any]
) -> dict[str, Usage]:
    """One command per line, 50 to a batch: each command's total and newest row."""
    usage: dict[str, Usage] = {}
    queries = {number: _flat(base, number) for number in wanted}
    plain = [number for number, query in queries.items() if holds_reference(query)]
    for number in plain:  # a batch would rewrite a value that looks like a reference
        usage[number] = _usage(number, *_ask(client, base, number))
    batched = [number for number in wanted if number not in plain]
    for start in range(0, len(batched), BATCH_MAX):
        chunk = batched[start : start + BATCH_MAX]
        keys = {f"n{index}": number for index, number in enumerate(chunk)}
        cmd = {key: command(STATISTIC_GET, queries[number]) for key, number in keys.items()}
        reply = client.call(BATCH, {"halt": 0, "cmd": cmd})
        reply = reply if isinstance(reply, Mapping) else {}
        results, errors, totals = (
            keyed(reply.get(part)) for part in ("result", "result_error", "result_total")
        )
        for key, number in keys.items():
            if key in errors:
                body = errors[key] if isinstance(errors[key], Mapping) else {}
                raise classify(STATISTIC_GET, 403 if _denied(body) else 400, body)
            usage[number] = _usage(number, *_page(results.get(key), totals.get(key)))
    return usage


def _flat(base: Mapping[str, Any], number: str) -> dict[str, str]:
    """A command's parameters as the query string of a batch command spells them."""
    params = {f"FILTER[{key}]": str(value) for key, value in base["FILTER"].items()}
    return {
        **params,
        "FILTER[PORTAL_NUMBER]": number,
        "SORT": base["SORT"],
        "ORDER": base["ORDER"],
    }


def _denied(body: Mapping[str, Any]) -> bool:
    """An inner error has no status of its own; ACCESS_DENIED is a 403 when called alone."""
    return str(body.get("error", "")).upper() == "ACCESS_DENIED"


def _usage(number: str, rows: Sequence[Mapping[str, str]], total: int) -> Usage:
    """One line's usage from its own query: the total, and the first (newest) row."""
    return Usage(number, total, rows[0]["CALL_START_DATE"] if rows and total else "")


def _page(result: object, total: object) -> tuple[list[Mapping[str, str]], int]:
    """A page of call-history rows and the count of all of them, or a fault: never a guess.

    Older servers leave `total` out of a reply with no row (docs/bitrix24-facts.md): that
    one reply, and only that one, counts as no call."""
    rows = result if isinstance(result, list) else None
    if rows == [] and total is None:
        total = 0
    readable = (
        rows is not None
        and all(
            isinstance(row, Mapping)
            and isinstance(row.get("PORTAL_NUMBER"), str)
            and isinstance(row.get("CALL_START_DATE"), str)
            for row in rows
        )
        and isinstance(total, int)
        and not isinstance(total, bool)
        and total >= len(rows)
        and len(rows) <= PAGE
    )
    if not readable:
        raise ServerFault(
            STATISTIC_GET,
            200,
            "",
            "a call-history reply that cannot be read (no list of rows with PORTAL_NUMBER and"
            " CALL_START_DATE, or no total), so whether the lines carry calls is unknown",
            "run again; if it keeps failing, list the numbers to delete under retire: in the"
            " stack file",
        )
    return rows, total  # type: ignore[return-value]
