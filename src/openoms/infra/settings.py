"""Configuration from the environment (``OMS_*``); documented in the README's table."""

from __future__ import annotations

from functools import cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/openoms.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    base_currency: str = "EUR"
    merchant_name: str = "OpenOMS Demo Outfitters"
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers reach this server: the base of tracking links in messages",
    )
    db_pool_size: int = 10
    db_max_overflow: int = 20
    sqlite_busy_timeout_seconds: float = 30.0
    embedded_worker: bool = True
    worker_interval_seconds: float = 5.0
    reservation_default_ttl_minutes: int = 30
    log_level: str = "INFO"
    log_json: bool = False
    idempotency_ttl_hours: int = 24
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    webhook_backoff_base_seconds: float = Field(default=60.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    secret_key: str = Field(
        default="",
        description="Signs session cookies and links; empty: generated once into var/secret_key",
    )
    secret_key_file: str = "./var/secret_key"
    session_hours: float = Field(default=12.0, gt=0)
    cookie_secure: bool | None = Field(
        default=None, description="Secure flag on cookies; empty: set when the request is HTTPS"
    )
    login_max_failures: int = Field(default=5, ge=1)  # in a row, then the account locks
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    login_attempts_per_ip: int = Field(default=20, ge=1)  # per window, from one address
    login_window_minutes: float = Field(default=15.0, gt=0)
    order_lookups_per_ip: int = Field(
        default=10, ge=1, description="order lookups by number and email per 15 minutes per address"
    )
    request_threads: int = Field(
        default=4,
        ge=1,
        le=256,
        description="threads per server process that run request handlers; raise it when many "
        "requests wait on slow outside services (payment gateways, carriers)",
    )
    token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a server process trusts an API token it has checked (0: check "
        "every request); a revoked token stops at once in the process that revoked it",
    )
    password_min_length: int = Field(default=10, ge=8)
    test_card_gateway: bool = Field(
        default=True, description="the built-in test card gateway (switch off in production)"
    )
    stripe_api_key: str = Field(default="", description="Stripe secret key (sk_live_… / sk_test_…)")
    paypal_client_id: str = ""
    paypal_client_secret: str = ""
    mail_backend: str = Field(
        default="folder", description="folder: write .eml files to mail_folder; smtp: send"
    )
    mail_folder: str = "./var/outbox"
    mail_from: str = Field(
        default="OpenOMS Demo Outfitters <orders@demo.openoms.dev>",
        description="the sender of customer messages",
    )
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: str = Field(default="starttls", description="starttls, tls or none")
    smtp_user: str = ""
    smtp_password: str = ""
    merchant_logo_url: str = Field(default="", description="a logo shown at the top of mails")
    alert_emails: str = Field(
        default="",
        description="who is mailed about staff alerts: kind=address pairs separated by commas, "
        "* for every other kind (low_stock=stock@shop.example,*=ops@shop.example); "
        "empty: nobody",
    )
    alert_email_locale: str = Field(default="en", description="the language of alert mails: en, de")
    shippo_api_key: str = Field(
        default="", description="a Shippo API token: carriers flagged 'shippo' buy labels there"
    )
    paypal_base_url: str = Field(
        default="https://api-m.sandbox.paypal.com",
        description="https://api-m.paypal.com for live payments",
    )

    @field_validator("alert_emails")
    @classmethod
    def _alert_emails_readable(cls, value: str) -> str:
        from openoms.alerts.model import AlertEmails

        AlertEmails.parse(value)  # a bad entry stops the start with a message naming it
        return value


@cache
def get_settings() -> Settings:
    return Settings()
