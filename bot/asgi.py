"""The gateway as uvicorn serves it: the app, wrapped by the middleware for several gateways.

`wegwijs serve` calls `serve`, which uses `gateway()`; with GATEWAY_WORKERS > 1 each uvicorn
worker process calls `create` (an import string, as uvicorn's workers need) and reads the
settings itself.
"""

from __future__ import annotations

from bot.app import create_app
from bot.config import Settings, load_settings
from bot.idempotency import GatewayMiddleware
from bot.key_store import key_store
from bot.metrics_multiprocess import start_supervisor_metrics


def gateway(settings: Settings) -> GatewayMiddleware:
    replies = key_store(settings)  # the middleware replays from it; /forget erases from it
    app = create_app(settings, replies=replies)
    return GatewayMiddleware(app, settings=settings, store=replies)


def create() -> GatewayMiddleware:
    return gateway(load_settings())


def serve(settings: Settings) -> None:
    """Serves the gateway with uvicorn until it is stopped."""
    import uvicorn

    from bot.logs import configure_logging

    configure_logging()
    # Behind a load balancer, the client's address comes from X-Forwarded-For, trusted only
    # from FORWARDED_ALLOW_IPS (the balancer's): the per-client rate limit needs it.
    options: dict[str, object] = {
        "host": settings.gateway_host,
        "port": settings.gateway_port,
        "log_level": "warning",
        "log_config": None,  # our JSON lines (bot/logs.py), not uvicorn's own format
        # Long polls (the widget's updates) hold a request up to 25 s: a stop does not wait
        # for them; the widget polls again, at another gateway or after the restart.
        "timeout_graceful_shutdown": 5,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
        "ws": "none",  # no websockets: and rasa-sdk pins a websockets too old for uvicorn's
    }
    if settings.gateway_workers > 1:
        # The workers' counts are summed and served here, in the supervisor (before it starts
        # the workers: they read the shared directory's name when they start).
        metrics = start_supervisor_metrics(settings) if settings.metrics_port else None
        try:
            workers = settings.gateway_workers
            uvicorn.run("bot.asgi:create", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        finally:
            if metrics is not None:
                metrics.stop()
    else:
        uvicorn.run(gateway(settings), **options)  # type: ignore[arg-type]
