"""One /rest request from path and body to reply, in the order a portal checks things.

Order: portal moved (302), https, injected fault, portal-wide system error, intensity
limit, caller, then the method (or batch) with its own checks in methods.invoke.
The HTTP layer only carries bytes; what to answer (or whether to drop) is decided here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .auth import token_caller, webhook_caller
from .batch import run_batch
from .context import Caller, Context
from .errors import ApiError, query_limit
from .methods import budget_key, canonical_name, invoke
from .params import parse_body, parse_query
from .timing import time_block

if TYPE_CHECKING:
    from .portal import Sandbox


BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class Outcome:
    """What to do with the connection; `status` None means drop it without a reply."""

    method: str
    app: str | None
    status: int | None = None
    body: dict[str, object] | None = None
    location: str | None = None
    fault: str | None = None
    error: str | None = None
    drop_after: bool = False
    """The request was applied; close the connection instead of replying (commit_drop)."""
    delay: float = 0.0
    """Seconds to wait before replying (slow)."""
    page: bytes | None = None
    """A reply that is not JSON, sent as it is instead of `body` (html502, commit_garbled)."""
    commands: tuple[str, ...] = ()
    """The methods a batch ran, for the request log."""


def _route(path: str) -> tuple[str, tuple[str, str] | None]:
    """(method, webhook (user_id, code) or None) from `/rest/[user/code/]method[.json]`."""
    parts = [unquote(part) for part in path.removeprefix("/rest").strip("/").split("/")]
    webhook = (parts[0], parts[1]) if len(parts) == 3 else None
    return parts[-1].removesuffix(".json"), webhook


def handle_rest(
    sb: Sandbox, host: str, path: str, query: str, body: bytes, content_type: str
) -> Outcome:
    """Answer one call to `/rest/...`."""
    start = time.time()
    method, webhook = _route(path)
    outcome = Outcome(canonical_name(method), f"webhook:{webhook[0]}" if webhook else None)
    moved = sb.moved_to
    if moved and urlsplit(moved).netloc != host:
        outcome.status = sb.move_status
        outcome.location = moved + path + (f"?{query}" if query else "")
        return outcome
    settings = sb.settings
    caller: Caller | None = None
    processing = 0.0
    try:
        if settings.require_https:
            raise ApiError(400, "INVALID_REQUEST", "Https required")
        outcome.fault = sb.faults.pick(outcome.method)
        if outcome.fault == "drop":
            return outcome
        if outcome.fault == "error500":
            raise ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        if outcome.fault == "limit503":
            raise query_limit()
        if outcome.fault == "html502":
            outcome.status, outcome.page = 502, BAD_GATEWAY_PAGE
            return outcome
        refusal = settings.system_refusal()
        if refusal:
            raise ApiError(*refusal)
        if not sb.bucket.take(start):
            raise query_limit()
        params = parse_query(query) | parse_body(body, content_type)
        auth = params.pop("auth", None)
        caller = (
            webhook_caller(sb.store, *webhook) if webhook else token_caller(sb.store, auth, start)
        )
        outcome.app = caller.label
        ctx = Context(sb.store, settings, sb.budget, caller)
        began = time.perf_counter()
        try:
            if method.lower() == "batch":
                result, outcome.commands = run_batch(ctx, params)
                reply: dict[str, object] = {"result": result}
            else:
                reply = invoke(ctx, method, params)
        finally:
            processing = time.perf_counter() - began
        outcome.status, outcome.body = 200, reply
    except ApiError as err:
        outcome.status, outcome.body, outcome.error = err.status, err.body(), err.code
    finish = time.time()
    operating, reset_at = (
        sb.budget.status(budget_key(settings, caller, outcome.method), finish)
        if caller
        else (0.0, int(finish))
    )
    if outcome.status == 200 or settings.error_time_block:
        # CRestServer::processCall appends the timing to a result; outputError writes the
        # code and description alone (modules/rest/classes/general/rest.php).
        outcome.body["time"] = time_block(start, finish, processing, operating, reset_at)
    outcome.drop_after = outcome.fault == "commit_drop"
    if outcome.fault == "slow":
        outcome.delay = sb.faults.rates.slow_seconds
    if outcome.fault == "commit_garbled":
        whole = json.dumps(outcome.body).encode()
        outcome.status, outcome.page = 200, whole[: len(whole) // 2]
    return outcome
