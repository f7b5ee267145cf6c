"""Reading call parameters the way PHP does: query strings, form bodies and JSON.

Bitrix24 runs on PHP, so `cmd[a]=x` in a query string or a batch command becomes
the nested `{"cmd": {"a": "x"}}`, and parameters reach the methods as PHP values.
The decoding follows PHP's parse_str rule by rule, so a client that forgets to
percent-encode a value loses it here as it would on a portal.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import unquote_to_bytes

from .errors import ApiError

_PHP_TRIM = " \t\n\r\0\x0b"
_C_SPACE = " \t\n\v\f\r"  # C's isspace(): PHP skips one of these after a `[`
_LEADING_INT = re.compile(r"[ \t\n\r\v\f]*[+-]?\d+")
"""What intval() reads of a string: leading whitespace, a sign, digits."""
MAX_NESTING = 64
"""PHP's max_input_nesting_level: a name nested deeper is dropped whole."""


def _url_decode(text: str) -> str:
    """PHP's urldecode: `+` is a space, %XX a byte; bytes that are not UTF-8 become U+FFFD."""
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "replace")


def parse_query(text: str) -> dict[str, object]:
    """Decode a query string as PHP's parse_str does (a portal runs on PHP).

    Pairs split on `&` (empty ones skipped) and then on the first `=`; names and values
    are URL-decoded, `+` as a space. A name is cut at a NUL byte, loses its leading
    spaces, has ` ` and `.` turned into `_` before its first `[`, and `a[b][]` nests
    (an unclosed `[` becomes `_`). Arrays are dicts, in order; `[]` appends at the next
    integer key. The last of two equal names wins.
    """
    result: dict[str, object] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, equals, value = pair.partition("=")
        _register(result, _url_decode(name).split("\0", 1)[0], _url_decode(value) if equals else "")
    return result


def _register(result: dict[str, object], name: str, value: str) -> None:
    """php_register_variable_ex: store `value` under the (possibly nested) `name`."""
    name = name.lstrip(" ")
    bracket = name.find("[")
    base = (name if bracket < 0 else name[:bracket]).replace(" ", "_").replace(".", "_")
    if not base:
        return
    keys: list[str | None] = [base]  # None: append at the next integer key
    rest = "" if bracket < 0 else name[bracket:]
    while rest.startswith("["):
        if len(keys) > MAX_NESTING:
            return
        close = rest.find("]", 2 if rest[1:2] and rest[1] in _C_SPACE else 1)
        if close < 0:
            if len(keys) == 1:  # PHP renames the variable: a_b for a[b
                tail = rest[1:].replace(" ", "_").replace(".", "_").replace("[", "_")
                keys = [f"{base}_{tail}"]
            break
        index = rest[1:close]
        keys.append(None if index.strip() == "" and close <= 2 else index)
        rest = rest[close + 1 :]
    node = result
    for key in keys[:-1]:
        key = _next_index(node) if key is None else key
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    last = keys[-1]
    node[_next_index(node) if last is None else last] = value


def _next_index(array: dict[str, object]) -> str:
    """Where PHP's `$a[] = x` goes: one past the largest integer key, or 0."""
    integers = [int(key) for key in array if is_integer_key(key)]
    return str(max(integers) + 1 if integers else 0)


def is_integer_key(key: str) -> bool:
    """Whether PHP makes `key` an integer key: decimal, no leading zero, no "-0"."""
    digits = key.removeprefix("-")
    return (
        digits.isascii()
        and digits.isdigit()
        and (digits == "0" or digits[0] != "0")
        and key != "-0"
    )


def parse_body(body: bytes, content_type: str) -> dict[str, object]:
    """Parameters from a JSON or form-encoded body; empty for an empty body."""
    if not body.strip():
        return {}
    if "json" in content_type:
        try:
            value = json.loads(body)
        except ValueError as err:
            raise ApiError(400, "INVALID_REQUEST", "Malformed JSON body") from err
        if not isinstance(value, dict):
            raise ApiError(400, "INVALID_REQUEST", "The JSON body must be an object")
        return value
    return parse_query(body.decode("utf-8", "replace"))


def php_string(value: object) -> str:
    """The string PHP would make of a parameter: true is "1", null and false are "", and
    an array is "Array" (PHP warns, and the portal's error handler lets it pass)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, dict | list):
        return "Array"
    if isinstance(value, int | float | str):
        return str(value)
    return ""


def php_int(value: object) -> int:
    """PHP's intval() of a parameter: the leading integer of a string ("50abc" is 50,
    "abc" 0), a float cut toward zero, true 1, null and false 0, an array 0 when empty
    and 1 when not."""
    if isinstance(value, bool | dict | list):
        return int(bool(value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = _LEADING_INT.match(php_string(value))
    return int(match.group()) if match else 0


def php_trim(value: object) -> str:
    """PHP's trim() of a parameter, which the server applies to NUMBER."""
    return php_string(value).strip(_PHP_TRIM)


def php_truthy(value: object) -> bool:
    """PHP truthiness of a parameter, as for batch `halt`: "0", "", 0, null and an empty
    array are false."""
    if isinstance(value, dict | list):
        return bool(value)
    return php_string(value) not in ("", "0")
