"""A Bitrix24 portal and OAuth server on loopback, to test the provider against.

It implements the facts in docs/bitrix24-facts.md on its own and imports
nothing from `provider`, so a client bug cannot hide in shared code. It is a package
beside the product, not inside it: it is the portal the product is judged against.

    from sandbox import Sandbox
    with Sandbox(token_lifetime=2, rate=0) as sb:
        sb.add_app("app.1", "secret1")
        tokens = sb.issue_tokens("app.1")
        ...  # POST f"{sb.url}/rest/telephony.externalLine.get" with {"auth": ...}
        sb.bind_event("app.1")  # its OnExternalCallStart handler, as the PBX's installer binds
        sb.place_call("app.1", "+74951234567", days_ago=40)  # register + finish: a history row

Or from a shell: `python -m sandbox --help`.
"""

from .errors import ApiError
from .faults import FAULT_KINDS, FaultRates
from .portal import Sandbox
from .settings import SYSTEM_ERRORS, Settings
from .store import WEBHOOK_POOL

__all__ = [
    "FAULT_KINDS",
    "SYSTEM_ERRORS",
    "WEBHOOK_POOL",
    "ApiError",
    "FaultRates",
    "Sandbox",
    "Settings",
]
