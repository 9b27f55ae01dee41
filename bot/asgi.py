"""The gateway as uvicorn serves it: the app, wrapped by the middleware for several gateways.

`wegwijs serve` uses `gateway()`; with GATEWAY_WORKERS > 1 each uvicorn worker process calls
`create` (an import string, as uvicorn's workers need) and reads the settings itself.
"""

from __future__ import annotations

from bot.app import create_app
from bot.config import Settings, load_settings
from bot.idempotency import GatewayMiddleware
from bot.key_store import key_store


def gateway(settings: Settings) -> GatewayMiddleware:
    replies = key_store(settings)  # the middleware replays from it; /forget erases from it
    app = create_app(settings, replies=replies)
    return GatewayMiddleware(app, settings=settings, store=replies)


def create() -> GatewayMiddleware:
    return gateway(load_settings())
