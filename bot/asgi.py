"""The gateway as uvicorn serves it: the app, wrapped by the middleware for several gateways.

`wegwijs serve` uses `gateway()`; with GATEWAY_WORKERS > 1 each uvicorn worker process calls
`create` (an import string, as uvicorn's workers need) and reads the settings itself.
"""

from __future__ import annotations

from bot.app import create_app
from bot.config import Settings, load_settings
from bot.idempotency import GatewayMiddleware


def gateway(settings: Settings) -> GatewayMiddleware:
    return GatewayMiddleware(create_app(settings), settings=settings)


def create() -> GatewayMiddleware:
    return gateway(load_settings())
