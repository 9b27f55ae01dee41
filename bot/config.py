"""One Settings object, read from the environment (and .env). Every variable is in .env.example."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.municipality import DEFAULT_MUNICIPALITY, load_layer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OFFICE_HOURS = "mon-fri 09:00-17:00"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="", env_file=PROJECT_ROOT / ".env", extra="ignore", frozen=True
    )

    project_root: Path = Field(default=PROJECT_ROOT, alias="WEGWIJS_ROOT")
    var_dir: Path = Field(default=PROJECT_ROOT / "var", alias="WEGWIJS_VAR_DIR")

    # Storage: SQLite under var/ by default, PostgreSQL via DATABASE_URL.
    database_url: str = Field(default="", alias="DATABASE_URL")
    tracker_store_url: str = Field(default="", alias="TRACKER_STORE_URL")

    # Processes (all on loopback except the gateway, which is the public face).
    gateway_host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(default=8000, alias="GATEWAY_PORT")
    public_url: str = Field(default="", alias="PUBLIC_URL")
    rasa_url: str = Field(default="http://127.0.0.1:5005", alias="RASA_URL")
    rasa_port: int = Field(default=5005, alias="RASA_PORT")
    action_port: int = Field(default=5055, alias="ACTION_PORT")
    rasa_timeout_seconds: float = Field(default=20.0, alias="RASA_TIMEOUT_SECONDS")
    model_dir: Path = Field(default=PROJECT_ROOT / "models", alias="MODEL_DIR")

    # Privacy: the key for pseudonymous conversation ids (keyed hash). Generated into
    # var/ on first run when not set; set it explicitly in production.
    pseudonym_key: SecretStr | None = Field(default=None, alias="PSEUDONYM_KEY")

    # Language
    default_language: Literal["uk", "en", "nl"] = Field(default="nl", alias="DEFAULT_LANGUAGE")

    # Web widget
    allowed_origins: str = Field(default="", alias="ALLOWED_ORIGINS")
    max_message_chars: int = Field(default=1000, alias="MAX_MESSAGE_CHARS")
    # Messages per minute: per conversation (every channel), and per client address (web).
    rate_limit_per_conversation: int = Field(default=20, alias="RATE_LIMIT_PER_CONVERSATION")
    rate_limit_per_client: int = Field(default=120, alias="RATE_LIMIT_PER_CLIENT")

    # Several gateways and Rasa servers (README, "Production topology"): Redis shares the rate
    # limits and the message idempotency keys between gateways, and is Rasa's lock store (one
    # turn of a conversation at a time, whichever Rasa server gets it). Empty: one machine,
    # everything in memory. A retried message (same Idempotency-Key header) is answered once;
    # a gateway that died holding one is taken over after IDEMPOTENCY_LEASE_SECONDS.
    redis_url: str = Field(default="", alias="REDIS_URL")
    idempotency_lease_seconds: float = Field(default=30.0, alias="IDEMPOTENCY_LEASE_SECONDS")
    # With REDIS_URL: how long a Rasa server's lock on a conversation lives. A server that dies
    # mid-turn leaves its lock behind, and that conversation waits this long; it must exceed
    # the longest turn and stay below RASA_TIMEOUT_SECONDS (Rasa's own default is 60 s).
    rasa_lock_lifetime_seconds: int = Field(default=15, ge=1, alias="RASA_LOCK_LIFETIME_SECONDS")
    # uvicorn worker processes for the gateway (more than 1 needs REDIS_URL for shared limits).
    gateway_workers: int = Field(default=1, ge=1, alias="GATEWAY_WORKERS")
    # The load balancer's address(es), comma-separated: X-Forwarded-For is trusted from them
    # only (the client's address for the per-client rate limit). Empty: no proxy in front.
    forwarded_allow_ips: str = Field(default="", alias="FORWARDED_ALLOW_IPS")

    # Prometheus metrics (bot/metrics.py) on a port of their own, never the public one: off
    # when METRICS_PORT is 0; GATEWAY_WORKERS must be 1 (one process holds the counters).
    metrics_host: str = Field(default="127.0.0.1", alias="METRICS_HOST")
    metrics_port: int = Field(default=0, ge=0, alias="METRICS_PORT")
    # The action server's own (actions/metrics.py: time per action), on a port of its own.
    action_metrics_port: int = Field(default=0, ge=0, alias="ACTION_METRICS_PORT")

    # Telegram (optional): runs when a token is given.
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    # polling needs no public HTTPS (a pilot); webhook needs PUBLIC_URL reachable by Telegram.
    telegram_mode: Literal["polling", "webhook"] = Field(default="polling", alias="TELEGRAM_MODE")
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")

    # Staff: the Telegram group(s) where new tickets are posted and answered (comma-separated
    # chat ids, e.g. -1001234567890). Only members of these chats can claim or answer.
    telegram_staff_chat_ids: str = Field(default="", alias="TELEGRAM_STAFF_CHAT_IDS")
    # The language of what staff see (tickets, notifications, the staff CLI): nl or en.
    staff_language: Literal["nl", "en"] = Field(default="nl", alias="STAFF_LANGUAGE")

    # Machine translation for staff (bot/translation/): a self-hosted LibreTranslate server.
    # Empty URL: no translation, staff see what the newcomer wrote and answers go as written.
    translation_url: str = Field(default="", alias="TRANSLATION_URL")
    translation_api_key: SecretStr | None = Field(default=None, alias="TRANSLATION_API_KEY")
    translation_timeout_seconds: float = Field(
        default=15.0, gt=0, alias="TRANSLATION_TIMEOUT_SECONDS"
    )

    # The staff workspace (/staff, bot/staff/). Cookies are Secure unless the workspace is
    # served over plain http on this machine; STAFF_COOKIE_SECURE forces either way.
    staff_cookie_secure: bool | None = Field(default=None, alias="STAFF_COOKIE_SECURE")
    staff_session_idle_minutes: float = Field(
        default=30.0, gt=0, alias="STAFF_SESSION_IDLE_MINUTES"
    )
    staff_session_hours: float = Field(default=10.0, gt=0, alias="STAFF_SESSION_HOURS")
    staff_invite_hours: float = Field(default=72.0, gt=0, alias="STAFF_INVITE_HOURS")
    # Sign-in throttling: this many wrong passwords within the window, per account and (times
    # four) per address, and sign-in waits until the oldest of them leaves the window.
    staff_sign_in_failures: int = Field(default=5, ge=1, alias="STAFF_SIGN_IN_FAILURES")
    staff_sign_in_window_minutes: float = Field(
        default=15.0, gt=0, alias="STAFF_SIGN_IN_WINDOW_MINUTES"
    )

    # Staff sign-in through the municipality's identity provider (OpenID Connect; empty
    # issuer: local accounts only). The redirect URI to register is PUBLIC_URL/staff/oidc/callback.
    staff_oidc_issuer: str = Field(default="", alias="STAFF_OIDC_ISSUER")
    staff_oidc_client_id: str = Field(default="", alias="STAFF_OIDC_CLIENT_ID")
    staff_oidc_client_secret: SecretStr | None = Field(
        default=None, alias="STAFF_OIDC_CLIENT_SECRET"
    )

    # Escalation: when staff answer. Office hours per weekday ("mon-thu 09:00-17:00;
    # fri 09:00-12:00"), in TIMEZONE; Dutch public holidays are skipped. The expected answer
    # time is TICKET_ANSWER_HOURS of office time from now, plus TICKET_MINUTES_PER_WAITING for
    # every ticket already waiting.
    # Empty: the municipality's layer says (faq/local/<municipality>/municipality.yml).
    office_hours: str = Field(default="", alias="OFFICE_HOURS")
    timezone: str = Field(default="Europe/Amsterdam", alias="TIMEZONE")
    ticket_answer_hours: float = Field(default=8.0, alias="TICKET_ANSWER_HOURS")
    ticket_minutes_per_waiting: float = Field(default=10.0, alias="TICKET_MINUTES_PER_WAITING")

    # Delivery of staff notifications and answers (the outbox): how often the gateway looks
    # for work, and how long a gateway may hold a job before another one takes it over.
    outbox_poll_seconds: float = Field(default=0.5, alias="OUTBOX_POLL_SECONDS")
    outbox_lease_seconds: float = Field(default=60.0, alias="OUTBOX_LEASE_SECONDS")
    outbox_enabled: bool = Field(default=True, alias="OUTBOX_ENABLED")

    # Retention (GDPR data minimisation): conversation events older than RETENTION_DAYS and
    # closed tickets older than CLOSED_TICKET_RETENTION_DAYS are deleted by `wegwijs purge`,
    # which the gateway also runs every PURGE_INTERVAL_HOURS (0: only by hand). The privacy
    # statement quotes these numbers.
    retention_days: int = Field(default=28, ge=1, alias="RETENTION_DAYS")
    closed_ticket_retention_days: int = Field(
        default=90, ge=1, alias="CLOSED_TICKET_RETENTION_DAYS"
    )
    purge_interval_hours: float = Field(default=6.0, ge=0, alias="PURGE_INTERVAL_HOURS")
    # The staff audit log (who read and changed what) is kept this long; ended staff sessions,
    # used invitations and sign-in attempts past the throttling window go at every purge.
    audit_retention_days: int = Field(default=365, ge=30, alias="AUDIT_RETENTION_DAYS")

    # Draft entries started in the editors' workspace (bot/faq/drafts.py); default faq/drafts/.
    drafts_dir: Path | None = Field(default=None, alias="DRAFTS_DIR")

    # The municipality whose layer (faq/local/<municipality>/) the knowledge base, the texts
    # and the defaults below come from.
    municipality: str = Field(default=DEFAULT_MUNICIPALITY, alias="MUNICIPALITY")

    # Links the gateway fills into texts ([[name]]). Empty: the layer's contact_url.
    municipality_contact_url: str = Field(default="", alias="MUNICIPALITY_CONTACT_URL")

    @property
    def effective_municipality_contact_url(self) -> str:
        if self.municipality_contact_url.strip():
            return self.municipality_contact_url.strip()
        layer = load_layer(self.project_root / "faq", self.municipality)
        return str(layer.municipality.contact_url)

    @property
    def zone(self) -> ZoneInfo:
        """TIMEZONE as a time zone: office hours, promised times and the editors' weeks."""
        return ZoneInfo(self.timezone)

    @property
    def effective_office_hours(self) -> str:
        """OFFICE_HOURS, else the municipality's, else Monday to Friday 9 to 5."""
        if self.office_hours.strip():
            return self.office_hours
        layer = load_layer(self.project_root / "faq", self.municipality)
        return layer.municipality.office_hours or DEFAULT_OFFICE_HOURS

    @property
    def effective_drafts_dir(self) -> Path:
        return self.drafts_dir or self.project_root / "faq" / "drafts"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'wegwijs.db'}"

    @property
    def effective_tracker_store_url(self) -> str:
        """Rasa's tracker store: the same PostgreSQL as the app when DATABASE_URL is set."""
        if self.tracker_store_url:
            return self.tracker_store_url
        if self.database_url:
            return sync_url(self.database_url, driver="psycopg2")
        return f"sqlite:///{self.var_dir / 'tracker.db'}"

    @property
    def effective_public_url(self) -> str:
        host = "localhost" if self.gateway_host in ("127.0.0.1", "0.0.0.0") else self.gateway_host  # noqa: S104
        return (self.public_url or f"http://{host}:{self.gateway_port}").rstrip("/")

    @property
    def staff_cookies_secure(self) -> bool:
        if self.staff_cookie_secure is not None:
            return self.staff_cookie_secure
        url = self.effective_public_url
        local = url.startswith(("http://localhost", "http://127.0.0.1"))
        return not local

    @property
    def staff_chat_ids(self) -> frozenset[int]:
        ids: set[int] = set()
        for part in self.telegram_staff_chat_ids.split(","):
            if part.strip():
                try:
                    ids.add(int(part.strip()))
                except ValueError:
                    raise ValueError(
                        f"TELEGRAM_STAFF_CHAT_IDS: '{part.strip()}' is not a Telegram chat id "
                        "(a whole number such as -1001234567890)"
                    ) from None
        return frozenset(ids)

    @property
    def origins(self) -> list[str]:
        configured = [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]
        return configured or [self.effective_public_url, f"http://127.0.0.1:{self.gateway_port}"]

    def links(self) -> dict[str, str]:
        """What [[placeholders]] in texts stand for: links, and the retention periods (so
        the privacy statement always quotes what the purge does)."""
        return {
            "privacy_url": f"{self.effective_public_url}/privacy",
            "municipality_contact_url": self.effective_municipality_contact_url,
            "retention_days": str(self.retention_days),
            "closed_ticket_retention_days": str(self.closed_ticket_retention_days),
        }


def sync_url(url: str, *, driver: str) -> str:
    """postgres://, postgresql:// or postgresql+x:// as postgresql+<driver>://."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return f"postgresql+{driver}://" + url[len(prefix) :]
    if url.startswith("postgresql+"):
        return f"postgresql+{driver}://" + url.split("://", 1)[1]
    return url


def async_url(url: str) -> str:
    """The SQLAlchemy async driver URL for our database (aiosqlite or psycopg)."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return sync_url(url, driver="psycopg")


def load_settings() -> Settings:
    return Settings()
