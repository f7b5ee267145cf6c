"""The `time` block Bitrix24 adds to every REST reply (and to each batch command)."""

from __future__ import annotations

from .dates import iso


def time_block(
    start: float, finish: float, processing: float, operating: float, reset_at: int
) -> dict[str, object]:
    """`start`..`finish` are unix times; `operating` is the method's spent budget."""
    return {
        "start": round(start, 6),
        "finish": round(finish, 6),
        "duration": round(finish - start, 6),
        "processing": round(processing, 6),
        "date_start": iso(start),
        "date_finish": iso(finish),
        "operating_reset_at": reset_at,
        "operating": operating,
    }
