"""Wiring: settings -> database -> application. The one place concrete adapters are chosen."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from openoms.fulfillment.carrier_api import CarrierApi
from openoms.infra.db import Database
from openoms.infra.logging import configure
from openoms.infra.settings import Settings, get_settings
from openoms.notifications.senders import MailSender
from openoms.payments.gateway_state import SqlGatewayState
from openoms.payments.gateways import Gateways
from openoms.payments.giftcards import GiftCardGateway
from openoms.payments.model import Gateway
from openoms.payments.testcard import TestCardGateway


def database(settings: Settings | None = None) -> Database:
    s = settings or get_settings()
    return Database.from_url(
        s.database_url,
        pool_size=s.db_pool_size,
        max_overflow=s.db_max_overflow,
        busy_timeout=s.sqlite_busy_timeout_seconds,
    )


def payment_gateways(settings: Settings, db: Database) -> Gateways:
    """The gateways the settings configure: gift cards always; the test card gateway unless
    switched off (``OMS_TEST_CARD_GATEWAY=false``); Stripe and PayPal when their keys are
    set. The built-in ones keep their state in the database."""
    state = SqlGatewayState(db.engine)
    found: dict[str, Gateway] = {"gift_card": GiftCardGateway(state)}
    if settings.test_card_gateway:
        found["test_card"] = TestCardGateway(state)
    if settings.stripe_api_key:
        from openoms.integrations.payments.stripe import StripeGateway

        found["stripe"] = StripeGateway(settings.stripe_api_key)
    if settings.paypal_client_id and settings.paypal_client_secret:
        from openoms.integrations.payments.paypal import PayPalGateway

        found["paypal"] = PayPalGateway(
            settings.paypal_client_id,
            settings.paypal_client_secret,
            base_url=settings.paypal_base_url,
        )
    return Gateways(found)


def carrier_apis(settings: Settings) -> dict[str, CarrierApi]:
    """The carrier APIs the settings configure, by the name carriers use (``shippo``)."""
    found: dict[str, CarrierApi] = {}
    if settings.shippo_api_key:
        from openoms.integrations.carriers.shippo import ShippoCarrierApi

        found["shippo"] = ShippoCarrierApi(settings.shippo_api_key)
    return found


def mail_sender(settings: Settings) -> MailSender:
    """SMTP when configured, else ``.eml`` files in ``OMS_MAIL_FOLDER``."""
    from pathlib import Path

    from openoms.notifications.senders import FolderSender, SmtpSender

    if settings.mail_backend == "smtp":
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            settings.smtp_password,
        )
    return FolderSender(Path(settings.mail_folder))


def application(settings: Settings | None = None) -> FastAPI:
    """The ASGI app for ``oms serve`` (and ``uvicorn --factory``)."""
    from openoms.web.app import create_app

    s = settings or get_settings()
    configure(s.log_level, json=s.log_json)
    app = create_app(s, database(s), embedded_worker=s.embedded_worker)
    settle_heap()
    return app


def settle_heap() -> None:
    """Take what lives as long as the process (modules, tables, schemas, routes, the
    console's templates: about 200,000 objects) out of the garbage collector's sight. A full
    collection walks every tracked object while it holds the interpreter lock, so each one
    stopped all of a worker's requests for up to 90 ms, the order benchmark's p99
    (docs/benchmarks.md); frozen, those objects are never walked again. Called once the
    app is built, before it serves."""
    gc.collect()
    gc.freeze()
