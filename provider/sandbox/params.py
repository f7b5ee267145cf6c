"""Reading call parameters the way PHP does: query strings, form bodies and JSON.

Bitrix24 runs on PHP, so `cmd[a]=x` in a query string or a batch command becomes
the nested `{"cmd": {"a": "x"}}`, and parameters reach the methods as PHP values.
"""

from __future__ import annotations

import json
import re
from itertools import pairwise
from urllib.parse import parse_qsl

from .errors import ApiError

_BRACKETS = re.compile(r"\[([^\]]*)\]")
_PHP_TRIM = " \t\n\r\0\x0b"


def parse_query(text: str) -> dict[str, object]:
    """Decode `a=1&b[c]=2&d[]=3` into nested dicts and lists, as PHP's parse_str does."""
    result: dict[str, object] = {}
    if not text:
        return result
    for name, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = name.partition("[")
        keys = [head, *_BRACKETS.findall("[" + rest)] if rest else [head]
        node: dict[str, object] | list[object] = result
        for key, next_key in pairwise(keys):
            node = _child(node, key, list if next_key == "" else dict)
        _store(node, keys[-1], value)
    return result


def _child(node: dict | list, key: str, kind: type) -> dict | list:
    if isinstance(node, list):
        node.append(kind())
        return node[-1]
    if not isinstance(node.get(key), dict | list):
        node[key] = kind()
    return node[key]


def _store(node: dict | list, key: str, value: str) -> None:
    if isinstance(node, list):
        node.append(value)
    else:
        node[key] = value


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
    """The string PHP would make of a parameter: true is "1", null and false are ""."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, int | float | str):
        return str(value)
    return ""


def php_trim(value: object) -> str:
    """PHP's trim() of a parameter, which the server applies to NUMBER."""
    return php_string(value).strip(_PHP_TRIM)


def php_truthy(value: object) -> bool:
    """PHP truthiness of a parameter, as for batch `halt`: "0", "", 0 and null are false."""
    return php_string(value) not in ("", "0")
