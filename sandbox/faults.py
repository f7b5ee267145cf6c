"""Injected failures for /rest calls, drawn from a seeded generator so runs reproduce.

One draw per request picks at most one fault, in a fixed order; with the same seed
and the same sequence of requests, the same requests fail the same way.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

FAULT_KINDS = ("drop", "error500", "limit503", "commit_drop", "slow", "html502", "commit_garbled")
"""Fault names, as the request log reports them, in the order a draw tries them.

drop: the connection closes before the request is applied (no reply).
error500: 500 INTERNAL_SERVER_ERROR, nothing applied.
limit503: 503 QUERY_LIMIT_EXCEEDED whatever the bucket says, nothing applied.
commit_drop: the request is applied, then the connection closes without a reply.
slow: the request is applied, then the reply waits `slow_seconds`.
html502: a 502 page in HTML, as the web server in front of PHP sends when the back end is
    overloaded; nothing applied.
commit_garbled: the request is applied, then the reply is HTTP 200 with its JSON cut off
    halfway, as when a PHP worker dies mid-reply.
The last two came after the first five, so a seed draws the same faults it always did when
their rates are 0.
"""


@dataclass(frozen=True)
class FaultRates:
    """The probability of each fault per request (their sum at most 1) and the seed."""

    error500: float = 0.0
    limit503: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 5.0
    drop: float = 0.0
    commit_drop: float = 0.0
    html502: float = 0.0
    commit_garbled: float = 0.0
    seed: int = 1
    methods: tuple[str, ...] = ()
    """Only these REST methods (documented spelling) get faults; empty means all."""

    def __post_init__(self) -> None:
        rates = [getattr(self, kind) for kind in FAULT_KINDS]
        if any(not 0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError(f"fault rates must be between 0 and 1, got {self.as_dict()}")
        if sum(rates) > 1.0 + 1e-9:
            raise ValueError(
                f"fault rates add up to {sum(rates):g}; a request gets at most one fault,"
                " so keep the sum <= 1"
            )
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must be >= 0")
        if isinstance(self.methods, str) or not all(isinstance(m, str) for m in self.methods):
            raise ValueError("methods must be a list of REST method names")
        object.__setattr__(self, "methods", tuple(self.methods))  # a JSON list from the admin API

    def as_dict(self) -> dict[str, float | int]:
        """The rates as JSON-ready values, for the admin API."""
        return asdict(self)


class Faults:
    """Picks the fault of each request from the configured rates."""

    def __init__(self, rates: FaultRates | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(rates or FaultRates())

    def configure(self, rates: FaultRates) -> None:
        """Use these rates from now on, restarting the generator from their seed."""
        with self._lock:
            self.rates = rates
            self._random = random.Random(rates.seed)
            self._active = any(getattr(rates, kind) for kind in FAULT_KINDS)

    def pick(self, method: str = "") -> str | None:
        """The fault for the next request (of `method`), or None. No draw is made while all
        rates are 0, nor for a method the rates leave out."""
        with self._lock:
            if not self._active or (self.rates.methods and method not in self.rates.methods):
                return None
            draw = self._random.random()
            for kind in FAULT_KINDS:
                draw -= getattr(self.rates, kind)
                if draw < 0:
                    return kind
            return None
