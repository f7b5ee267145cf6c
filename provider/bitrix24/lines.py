"""telephony.externalLine semantics on top of the REST client.

A line's key is its NUMBER; the portal has no get-by-number and no call that
takes an ID, so reading means one `get` of every line, filtered here. That list
is fetched once per process and then kept up to date by our own writes: a
Pulumi run of hundreds of lines costs one `get`, not one per resource.

`add` is the one call that is not idempotent. After an ambiguous failure (no
answer, dropped connection, 500) the line may or may not exist, so the portal's
list decides: exactly as asked means our attempt landed (its ID is fetched with
an update, the only other call that returns one); different means someone
else's line (LineExists); absent means add again. Never a duplicate, never a
lost line.

Writes go through provider.bitrix24.batching, so the writes waiting together share one
request; an add in a batch that failed as a whole is settled like a lone one, by
one `get` for all the adds of that batch.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from provider.bitrix24.auth import webhook_refused
from provider.bitrix24.batching import Coalescer
from provider.bitrix24.errors import LineExists, LineNotFound, ServerFault, TransportError
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import Attempts

log = logging.getLogger(__name__)

ADD = "telephony.externalLine.add"
UPDATE = "telephony.externalLine.update"
GET = "telephony.externalLine.get"
DELETE = "telephony.externalLine.delete"
ADD_ATTEMPTS = 5  # ambiguous adds in a row (each checked by a fresh get) before giving up


@dataclass(frozen=True)
class Line:
    """A line as the portal stores it."""

    number: str
    name: str
    crm_auto_create: bool | None
    """None when the portal does not keep the flag: voximplant before 23.0.0 lists NUMBER
    and NAME only, and its add and update ignore CRM_AUTO_CREATE."""

    def same(self, other: Line) -> bool:
        """Whether the two agree on all that the portal keeps."""
        unknown = self.crm_auto_create is None or other.crm_auto_create is None
        return (self.number, self.name) == (other.number, other.name) and (
            unknown or self.crm_auto_create == other.crm_auto_create
        )


def _flag(value: bool | None) -> str:
    """CRM_AUTO_CREATE as the portal wants it: exactly "Y" or "N" (true/1/"y" mean "N")."""
    return "Y" if value else "N"


def _params(line: Line) -> dict[str, str]:
    """Every field of `line`, as add and adopt send them."""
    return {
        "NUMBER": line.number,
        "NAME": line.name,
        "CRM_AUTO_CREATE": _flag(line.crm_auto_create),
    }


def _parse(row: Mapping[str, Any]) -> Line:
    return Line(
        number=str(row.get("NUMBER", "")),
        name=str(row.get("NAME") or ""),
        crm_auto_create=row["CRM_AUTO_CREATE"] == "Y" if "CRM_AUTO_CREATE" in row else None,
    )


class LinesApi:
    """The application's lines on one portal; safe to share between threads.

    Keep one instance per portal for the life of the process: the cache lives here.
    """

    def __init__(
        self,
        client: RestClient,
        *,
        writes: Coalescer | None = None,
        on_first_list: Callable[[Mapping[str, Line]], None] = lambda lines: None,
    ) -> None:
        """`writes` defaults to a Coalescer of `client` (tests pass one that they steer).
        `on_first_list` sees the lines once, after the first `get` (the Pulumi layer says
        what a run should know about them then)."""
        self._client = client
        self._writes = writes if writes is not None else Coalescer(client)
        self._on_first_list: Callable[[Mapping[str, Line]], None] | None = on_first_list
        self._lock = threading.Lock()
        self._lines: dict[str, Line] | None = None
        self._fetches_started = 0
        self._cache_fetch = 0  # which fetch the cache came from
        self._fetches_failed = 0
        self._failure: Exception | None = None  # why the last failed fetch failed
        self._confirm_lock = threading.Lock()
        self._confirmed: str | None = None  # the identity this address confirmed
        self._doubt: tuple[Exception, int] | None = None  # an add's failure, the fetch count then
        self._flag_listed: bool | None = None  # whether `get` lists CRM_AUTO_CREATE

    def __repr__(self) -> str:
        return f"LinesApi({self._client!r})"

    def identity(self, *, confirm: bool = False) -> str:
        """Which portal this is (its member_id, "" when unknowable); see RestClient.identity.

        Confirmed once per process: a move of hundreds of lines asks the portal once.
        """
        if not confirm:
            return self._client.identity()
        with self._confirm_lock:
            if self._confirmed is None:
                self._confirmed = self._client.identity(confirm=True)
            return self._confirmed

    @contextlib.contextmanager
    def _fetched(self, fresh: bool, asked_after: int | None = None) -> Iterator[dict[str, Line]]:
        """The cache, under the lock, fetched first if missing or not fresh enough.

        `fresh` needs a `get` that started after the caller asked; threads asking
        together wait for the same one instead of sending one each. When a `get`
        fails while a caller waits, the caller gets that failure instead of running
        a `get` of its own: the failed one already spent a whole retry deadline,
        and callers in turn would each spend another.
        """
        if asked_after is None:
            asked_after = self._fetches_started
        failures_seen = self._fetches_failed
        self._usable()
        first: Mapping[str, Line] | None = None
        announce = None
        with self._lock:
            if self._lines is None or (fresh and self._cache_fetch <= asked_after):
                if self._fetches_failed > failures_seen and self._failure is not None:
                    raise self._failure
                self._fetches_started += 1
                fetch = self._fetches_started
                try:
                    rows = self._client.call(GET)
                except Exception as err:
                    self._fetches_failed += 1
                    self._failure = err
                    raise
                self._failure = None
                self._lines = {line.number: line for line in map(_parse, rows or [])}
                if self._lines:
                    self._flag_listed = all(
                        line.crm_auto_create is not None for line in self._lines.values()
                    )
                self._cache_fetch = fetch
                if self._on_first_list is not None:  # taken under the lock: said once
                    announce, self._on_first_list = self._on_first_list, None
                    first = MappingProxyType(dict(self._lines))
            yield self._lines
        if announce is not None and first is not None:
            announce(first)

    def list(self, *, fresh: bool = False) -> Mapping[str, Line]:
        """Every line of the application by NUMBER (a read-only snapshot); one `get`
        per process however many threads ask at once, unless `fresh`."""
        with self._fetched(fresh) as lines:
            return MappingProxyType(dict(lines))

    def crm_manageable(self) -> bool | None:
        """Whether this portal keeps CRM_AUTO_CREATE, as the last `get` that listed a line
        showed; None before one has."""
        with self._lock:
            return self._flag_listed

    def find(self, number: str, *, fresh: bool = False) -> Line | None:
        """The line with exactly this NUMBER, or None."""
        with self._fetched(fresh) as lines:
            return lines.get(number)

    def _settle(self, number: str, doubt: Exception) -> Line | None:
        """The line `number` as a `get` started after `doubt` shows it.

        A failed batch hands the same exception to each of its adds, so the first to
        settle notes how many gets had started by then, and every add of that batch
        accepts the first get started after that: one `get` for all of them.
        """
        with self._lock:
            if self._doubt is None or self._doubt[0] is not doubt:
                self._doubt = (doubt, self._fetches_started)
            asked_after = self._doubt[1]
        with self._fetched(True, asked_after) as lines:
            return lines.get(number)

    def _remember(self, number: str, line: Line | None) -> None:
        """Apply our own write to the cache (idempotent, so order with a fetch is moot)."""
        with self._lock:
            if self._lines is None:
                return
            if line is None:
                self._lines.pop(number, None)
            else:
                self._lines[number] = line

    def _usable(self) -> None:
        """CredentialsError before any call in webhook mode, which reaches other lines than
        an application's and cannot tell whose they are."""
        if self._client.auth_mode == "webhook":
            raise webhook_refused()

    def add(self, line: Line) -> str:
        """Create the line; its ID as a string. LineExists if the NUMBER is taken.

        Rounds of add-then-check are spaced by the client's retry policy and end at
        its deadline (DeadlineExceeded) or after ADD_ATTEMPTS, whichever comes first.
        """
        self._usable()
        params = _params(line)
        attempts = Attempts(self._client.policy, ADD, self._client.portal)
        ambiguous: Exception | None = None
        for _ in range(ADD_ATTEMPTS):
            if ambiguous is not None:
                attempts.wait(ambiguous)  # the portal is failing: give it time
            try:
                result = self._writes.call(ADD, params, idempotent=False)
            except (TransportError, ServerFault) as err:
                if isinstance(err, TransportError) and not err.maybe_applied:
                    raise
                ambiguous = doubt = err
            except LineExists as err:
                if ambiguous is None:
                    raise
                doubt = err  # an earlier attempt may have landed late: look again
            else:
                self._remember(line.number, line)
                return str(result["ID"])
            found = self._settle(line.number, doubt)
            log.info(
                "add of %s had no clear answer (%s); the portal has %s",
                line.number,
                ambiguous,
                found,
            )
            if found is not None and found.same(line):
                return self.adopt(line)
            if found is not None:
                raise LineExists(
                    ADD,
                    400,
                    "",
                    "Line already exists",
                    number=line.number,
                    fix=f"the portal has {found}, not the line asked for",
                )
        assert ambiguous is not None
        raise ambiguous

    def update(
        self, number: str, *, name: str | None = None, crm_auto_create: bool | None = None
    ) -> str:
        """Change the given fields only; the line's ID as a string.

        With neither field there is nothing to send (the portal would answer
        "There are no fields to update"), so this is a caller's bug: ValueError,
        without a call. Use `adopt` to learn the ID of an unchanged line.
        """
        params: dict[str, str] = {"NUMBER": number}
        if name is not None:
            params["NAME"] = name
        if crm_auto_create is not None:
            params["CRM_AUTO_CREATE"] = _flag(crm_auto_create)
        if len(params) == 1:
            raise ValueError(f"update of {number}: give name and/or crm_auto_create")
        line_id = self._update(params)
        self._update_cache(number, name, crm_auto_create)
        return line_id

    def _update(self, params: Mapping[str, str]) -> str:
        self._usable()
        try:
            result = self._writes.call(UPDATE, params)
        except LineNotFound:
            self._remember(params["NUMBER"], None)
            raise
        return str(result["ID"])

    def _update_cache(self, number: str, name: str | None, crm: bool | None) -> None:
        with self._lock:
            if self._lines is None:
                return
            old = self._lines.get(number)
            if old is None:  # created behind our back: the cache is stale, drop it
                self._lines = None
                return
            self._lines[number] = Line(
                number,
                old.name if name is None else name,
                old.crm_auto_create if crm is None else crm,
            )

    def adopt(self, line: Line) -> str:
        """Bring an existing line to `line`'s values and return its ID.

        Sends NAME and CRM_AUTO_CREATE both, so the update is never empty: the
        portal's update is the only way to learn an existing line's ID.
        """
        line_id = self._update(_params(line))
        self._remember(line.number, line)
        return line_id

    def delete(self, number: str) -> bool:
        """Delete the line; False when it was already gone (not an error)."""
        self._usable()
        try:
            self._writes.call(DELETE, {"NUMBER": number})
        except LineNotFound:
            self._remember(number, None)
            return False
        self._remember(number, None)
        return True
