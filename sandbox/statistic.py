"""voximplant.statistic.get: the call history, filtered, sorted, 50 rows a page.

From voximplant's CVoxImplantRestService (`avshatalov48/bitrix24-core-corp`,
`classes/general/vi_rest.php`: statisticGet, checkStatisticFilter, filterSortParam,
filterOrderParam) and the rest module's paging (`IRestService::getNavData`/`setNavData`
in `modules/rest/classes/general/rest.php`):

- the permission comes first: without "Call Statistics - View", 403 ACCESS_DENIED
  "Access denied!" (Bitrix\\Rest\\AccessException);
- FILTER keys are upper-cased and split into an operation (the leading characters that
  are not letters) and a field; a key whose operation is not one of ALLOWED or whose
  field is not a column of the table is dropped, not refused; CALL_TYPE is the INCOMING
  column; an empty array drops its key; an array with keys that are not 0..n is a
  group of conditions that must all hold;
- SORT is used only when it is exactly a column's name and ORDER exactly ASC or DESC;
- `start` (PHP's intval) is the offset of a 50-row page; `total` counts every match
  and `next` is the offset of the following page, when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .context import Context, Method, Page, Webhooks
from .dates import instant, iso
from .errors import ApiError
from .params import is_integer_key, php_int, php_string
from .store import STATISTIC_COLUMNS

PAGE_SIZE = 50
"""IRestService::LIST_LIMIT."""
ALLOWED = ("", "!", "<", "<=", ">", ">=", "><", "!><", "?", "=", "!=", "%", "!%")
"""CVoxImplantRestService::$allowedFilterOperations."""
ALIASES = {"CALL_TYPE": "INCOMING"}
"""Filter fields that name another column."""
HIDDEN = (
    "ACCOUNT_ID",
    "APPLICATION_ID",
    "APPLICATION_NAME",
    "CALL_LOG",
    "CALL_RECORD_ID",
    "CALL_WEBDAV_ID",
    "CALL_STATUS",
    "CALL_DIRECTION",
    "INCOMING",
)
"""Columns statisticGet removes from each row (INCOMING comes back as CALL_TYPE)."""
_SPLIT = re.compile(r"^([^a-zA-Z]*)(.*)$", re.DOTALL)

Condition = Callable[[dict[str, object]], bool]


def access_denied() -> ApiError:
    """Bitrix\\Rest\\AccessException with no text of its own."""
    return ApiError(403, "ACCESS_DENIED", "Access denied!")


def _number(value: object) -> float | None:
    """A value compared with a numeric column, as the database casts it: None if it is
    not a number at all."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    match = re.match(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)", php_string(value))
    return float(match.group()) if match else None


def _typed(kind: str, value: object) -> object:
    """A filter value as the column's kind compares it; None when it cannot match."""
    if kind == "date":
        return instant(value)
    if kind in ("int", "float"):
        return _number(value)
    return php_string(value)


def _values(value: object) -> list[object]:
    """A filter value as a list: a plain array's items, or the value alone."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [value]


def _compare(operation: str, column: object, wanted: object) -> bool:
    """One comparison of a row's value with one filter value. As in SQL, NULL (a column
    without a value, or a filter value that is no value of the column's kind) matches
    nothing, and fails a negated condition too."""
    if column is None or wanted is None:
        return False
    if operation in ("", "="):
        return column == wanted
    if operation in ("%", "?"):  # LIKE %x% (and the text search), case-insensitive
        return str(wanted).lower() in str(column).lower()
    compare = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[operation]
    return bool(compare(column, wanted))


def _condition(operation: str, field: str, value: object) -> Condition:
    """The test one filter key makes of a row."""
    kind = STATISTIC_COLUMNS[field]
    wanted = [_typed(kind, item) for item in _values(value)]
    if operation in ("><", "!><"):
        inside = len(wanted) == 2 and None not in wanted

        def between(row: dict[str, object]) -> bool:
            cell = row[field]
            low, high = wanted if inside else (None, None)
            hit = inside and cell is not None and low <= cell <= high  # type: ignore[operator]
            return hit if operation == "><" else cell is not None and inside and not hit

        return between
    negated = operation.startswith("!")
    positive = {"!": "=", "!=": "=", "!%": "%"}.get(operation, operation)

    def test(row: dict[str, object]) -> bool:
        hit = any(_compare(positive, row[field], item) for item in wanted)
        return row[field] is not None and not hit if negated else hit

    return test


def conditions(filter_: object) -> list[Condition]:
    """checkStatisticFilter: the tests a FILTER makes, its unusable keys dropped."""
    if not isinstance(filter_, dict):
        return []
    tests: list[Condition] = []
    for key, value in filter_.items():
        operation, field = _SPLIT.match(str(key).upper()).groups()  # type: ignore[union-attr]
        if isinstance(value, dict | list) and not value:
            continue
        if isinstance(value, dict) and not all(is_integer_key(k) for k in value):
            group = conditions(value)  # a group: each of its own keys must hold
            if group:
                tests.append(lambda row, group=group: all(test(row) for test in group))
            continue
        field = ALIASES.get(field, field)
        if operation not in ALLOWED or field not in STATISTIC_COLUMNS:
            continue
        tests.append(_condition(operation, field, value))
    return tests


def _sort_key(field: str) -> Callable[[dict[str, object]], tuple]:
    """MySQL's order: NULLs first going up (and so last going down)."""

    def key(row: dict[str, object]) -> tuple:
        value = row[field]
        return (False, 0) if value is None else (True, value)

    return key


def _text(value: object) -> str | None:
    """A column's value as the database driver hands it to PHP: text, or None for NULL."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(row: dict[str, object]) -> dict[str, object]:
    """A history row as statisticGet returns it: every value text as the database hands
    it over, the dates in ISO 8601, the hidden columns gone, RECORD_FILE_ID and CALL_TYPE
    added (in the docs' order)."""
    shown: dict[str, object] = {}
    for name, value in row.items():
        if name in HIDDEN:
            continue
        if name == "CALL_START_DATE":
            shown[name] = iso(float(value))  # type: ignore[arg-type]
        elif name == "COST":
            shown[name] = None if value is None else f"{float(value):.4f}"  # type: ignore[arg-type]
        else:
            shown[name] = _text(value)
    shown["RECORD_FILE_ID"] = None
    shown["CALL_TYPE"] = _text(row["INCOMING"])
    return shown


def select(rows: list[dict[str, object]], params: dict[str, object], start: int) -> Page:
    """The page statisticGet answers for these parameters, `start` already read."""
    params = {str(key).upper(): value for key, value in params.items()}
    tests = conditions(params.get("FILTER"))
    matching = [row for row in rows if all(test(row) for test in tests)]
    sort, order = params.get("SORT"), params.get("ORDER")
    if isinstance(sort, str) and isinstance(order, str):
        field, direction = sort.strip(), order.strip()
        if field in STATISTIC_COLUMNS and direction in ("ASC", "DESC"):
            # sorted() is stable, so equal values keep the ID order the table gives
            matching.sort(key=_sort_key(field), reverse=direction == "DESC")
    offset = max(start, 0)
    page = [render(row) for row in matching[offset : offset + PAGE_SIZE]]
    total = len(matching) if start >= 0 else 0
    following = offset + len(page)
    return Page(page, total, following if start >= 0 and following < total else None)


def _statistic_get(ctx: Context, params: dict[str, object]) -> object:
    if ctx.caller.app is not None and ctx.caller.app.statistics_denied:
        raise access_denied()
    start = php_int(params.get("start", 0))  # CRestServer::processCall reads it first
    page = select(ctx.store.statistics(), params, start)
    if ctx.settings.legacy_statistic and not page.rows and page.total == 0:
        return []  # older copies page and count only when COUNT(1) found a row
    return page


STATISTIC_METHODS = (
    Method("voximplant.statistic.get", _statistic_get, "telephony", Webhooks.ALWAYS),
)
"""The server checks no authorisation type for it: a webhook may read the history too."""
