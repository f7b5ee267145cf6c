"""Batch references: what the portal makes of `$result[key][field]` in a batch command.

Before each command of a `batch` runs, the portal rewrites its decoded parameters
(CRestUtil::ParseBatchQuery in the rest module's rest_util.php) against what the
earlier commands left: `result`, `next`, `total`, `time` and `error` by command key,
plus `error_description` once a command has failed. Rule by rule, as the source does:

- A reference is `$` and one of those names (any case), then every character up to
  the next ASCII whitespace; it counts only if that tail holds a `[key]` (`$result` alone
  is left as written). Names are matched case-insensitively but looked up as written, so
  `$RESULT[w0]` reaches nothing.
- The `[key]`s are followed one by one while each exists and is not null; a missing
  one stops the walk where it is, so a reference to a command not yet run (or failed)
  reaches the whole `result` list so far.
- A value that is nothing but the reference becomes whatever it reached: a string, a
  number, null, or an array, which the line methods then store as `Array` (PHP's
  string of an array).
- A reference inside a longer value is replaced by what it reached when that is text;
  what counts as text differs between server versions (REFERENCE_MODES).

The portal rewrites parameter names too (against no results: a name that is only a
reference becomes ""); no line method can tell, so that is not played here.
"""

from __future__ import annotations

import re

from .params import is_integer_key, php_string

REFERENCE_MODES = {
    "scalars": "strings and numbers are put into the text; arrays and null leave it as written",
    "strings": "only strings are put into the text",
    "any": "anything is put into the text as PHP 7 makes it a string (an array as 'Array')",
}
"""How a reference inside a longer value is replaced, by rest module version (see
docs/bitrix24-facts.md, "Batch references"); "scalars" is the newest source."""

_PCRE_SPACE = " \t\n\x0b\f\r"
"""What `\\s` matches in the portal's (non-Unicode) regular expression."""
_PATH_KEY = re.compile(r"\[([^\]]+)\]")


def resolve(
    params: dict[str, object], outputs: dict[str, dict[str, object]], mode: str
) -> dict[str, object]:
    """A command's parameters after the portal has resolved its references.

    `outputs` are the batch's results so far by part (`result`, `time`, ...) and key, in
    the order the portal added the parts.
    """
    names = "|".join(re.escape(name) for name in outputs)
    pattern = re.compile(rf"\$({names})([^{_PCRE_SPACE}]*)", re.IGNORECASE)
    return _structure(params, outputs, pattern, mode)


def _structure(
    params: dict[str, object],
    outputs: dict[str, dict[str, object]],
    pattern: re.Pattern[str],
    mode: str,
) -> dict[str, object]:
    return {
        key: _structure(value, outputs, pattern, mode)
        if isinstance(value, dict)
        else _element(value, outputs, pattern, mode)
        for key, value in params.items()
    }


def _element(
    value: object, outputs: dict[str, dict[str, object]], pattern: re.Pattern[str], mode: str
) -> object:
    """processBatchElement: one value with each of its references replaced."""
    if not isinstance(value, str):
        return value
    text: object = value
    for match in pattern.finditer(value):
        keys = _PATH_KEY.findall(match.group(2))
        if not keys or not isinstance(text, str):
            continue
        reached: object = outputs.get(match.group(1))
        for key in keys:
            child = _offset(reached, key)
            if child is None:
                break
            reached = child
        if match.group(0) == text:
            text = reached
            continue
        inline = _inline(reached, mode)
        if inline is not None:
            text = text.replace(match.group(0), inline)
    return text


def _offset(value: object, key: str) -> object:
    """PHP's `isset($value[$key]) ? $value[$key] : null` for what a result can hold."""
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return value[int(key)] if is_integer_key(key) and 0 <= int(key) < len(value) else None
    if isinstance(value, str) and is_integer_key(key) and -len(value) <= int(key) < len(value):
        return value[int(key)]  # a string's offset is its character
    return None


def _inline(reached: object, mode: str) -> str | None:
    """What replaces a reference inside a longer value; None leaves it as written."""
    if isinstance(reached, str):
        return reached
    if mode == "scalars" and isinstance(reached, int | float) and not isinstance(reached, bool):
        return php_string(reached)
    if mode == "any":
        return php_string(reached)
    return None
