"""The `batch` method: up to 50 method calls in one request.

The reply is HTTP 200 even when commands fail; each command passes the same checks
as a plain call (methods.invoke), so it spends its own method's time budget. A
command's parameters are decoded by params.parse_query, PHP's parse_str rules, and
then rewritten by its references to earlier results (references.resolve), as the
portal's CRestProvider::methodsBatch does (rest module, rest_provider.php):

- Past 50 commands the first 50 run and each further one fails alone, inside the
  reply, with ERROR_BATCH_LENGTH_EXCEEDED.
- Only a command that succeeded has a `result_time` entry: the portal adds the time
  block to a successful call's answer, never to an error.
- A command that is not a string is skipped: no result and no error.
"""

from __future__ import annotations

import time

from .context import Context
from .errors import ApiError
from .methods import budget_key, canonical_name, invoke
from .params import parse_query, php_truthy
from .references import resolve
from .timing import time_block

BATCH_MAX = 50
"""Commands one batch runs; each one past them fails with ERROR_BATCH_LENGTH_EXCEEDED."""


def _php_array(items: dict[str, object]) -> object:
    """What PHP's json_encode makes of an array: [] when empty, a list when keys are 0..n-1."""
    if list(items) == [str(i) for i in range(len(items))]:
        return list(items.values())
    return items


def _commands(params: dict[str, object]) -> dict[str, object]:
    cmd = params.get("cmd") or {}
    if isinstance(cmd, list):
        cmd = {str(i): command for i, command in enumerate(cmd)}
    if not isinstance(cmd, dict):
        raise ApiError(400, "INVALID_REQUEST", "cmd must be an object of method calls")
    return {str(key): command for key, command in cmd.items()}


def _run(
    ctx: Context, name: str, query: str, outputs: dict[str, dict[str, object]]
) -> dict[str, object]:
    """One command's reply parts (`result`, and `next` and `total` for a list method), its
    references resolved against `outputs`; raises its ApiError."""
    if name.lower() == "batch":
        raise ApiError(
            405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"
        )
    return invoke(ctx, name, resolve(parse_query(query), outputs, ctx.settings.batch_references))


def run_batch(ctx: Context, params: dict[str, object]) -> tuple[dict[str, object], tuple[str, ...]]:
    """Run the commands in order; with `halt` true, stop after the first that fails.

    Returns the `result` and the methods run, for the request log.
    """
    halt = php_truthy(params.get("halt", 0))
    # what the commands leave, by part and key: what a later command's references reach
    outputs: dict[str, dict[str, object]] = {
        "result": {},
        "next": {},
        "total": {},
        "time": {},
        "error": {},
    }
    ran: list[str] = []
    for count, (key, command) in enumerate(_commands(params).items()):
        start = time.time()
        try:
            if count >= BATCH_MAX:
                raise ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
            if not isinstance(command, str):
                continue
            # The command is read as a URL (path, query, #fragment): an unencoded # ends it
            name, _, query = command.partition("#")[0].partition("?")
            ran.append(canonical_name(name))
            # methodsBatch files each part of the command's reply under its key
            for part, value in _run(ctx, name, query, outputs).items():
                outputs[part][key] = value
        except ApiError as err:
            outputs["error"][key] = err.body()
            outputs.setdefault("error_description", {})[key] = err.description
            if halt:
                break
            continue
        finish = time.time()
        spent = budget_key(ctx.settings, ctx.caller, canonical_name(name))
        operating, reset_at = ctx.budget.status(spent, finish)
        outputs["time"][key] = time_block(start, finish, finish - start, operating, reset_at)
    return {
        "result": _php_array(outputs["result"]),
        "result_error": _php_array(outputs["error"]),
        "result_total": _php_array(outputs["total"]),
        "result_next": _php_array(outputs["next"]),
        "result_time": _php_array(outputs["time"]),
    }, tuple(ran)
