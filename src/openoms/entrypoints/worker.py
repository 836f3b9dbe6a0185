"""Background work: expiring reservations, delivering webhooks, purging idempotency keys.

``oms worker`` runs :func:`run_forever`; ``oms serve`` runs the same jobs in a thread
(:class:`BackgroundWorker`) so the embedded default is one process. Every job claims its rows
in the database, so any number of workers may run side by side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from openoms.carts.expiry import expire_carts
from openoms.fulfillment.services import tracking as fulfilment_tracking
from openoms.fulfillment.services import work as fulfilment_work
from openoms.identity.services.login import purge_attempts
from openoms.infra import idempotency
from openoms.infra.db import Database
from openoms.infra.settings import Settings
from openoms.integrations.webhooks.fanout import dispatch_events
from openoms.integrations.webhooks.relay import deliver_due
from openoms.inventory.services.reservations import expire_reservations
from openoms.orders.backorders import resource_backorders
from openoms.receivables.services.invoices import flag_overdue
from openoms.receivables.services.quotes import expire_quotes

log = structlog.get_logger()


def jobs(db: Database, settings: Settings) -> list[tuple[str, Callable[[], int]]]:
    from openoms.alerts import services as alerts
    from openoms.entrypoints.bootstrap import mail_sender
    from openoms.infra import outbox
    from openoms.notifications import services as notifications

    outbox.register_consumer("notifications", notifications.queue_for_events)
    outbox.register_consumer("alerts", alerts.consumer(settings))
    sender = mail_sender(settings)
    return [
        ("inventory.reservations_expired", lambda: expire_reservations(db.uow())),
        ("orders.backorders_resourced", lambda: resource_backorders(db.uow())),
        ("carts.abandoned", lambda: expire_carts(db)),
        ("idempotency.keys_purged", lambda: idempotency.purge_expired(db.engine)),
        ("webhooks.events_dispatched", lambda: dispatch_events(db)),
        ("webhooks.attempts_made", lambda: deliver_due(db, settings)),
        ("identity.sign_in_attempts_purged", lambda: purge_attempts(db.uow())),
        ("payments.pending_settled", lambda: _settle_payments(db, settings)),
        ("receivables.quotes_expired", lambda: expire_quotes(db)),
        ("receivables.invoices_overdue", lambda: flag_overdue(db)),
        ("fulfilment.work_synced", lambda: _sync_work(db)),
        (
            "fulfilment.late_shipments_flagged",
            lambda: fulfilment_tracking.flag_late_shipments(db.uow()),
        ),
        ("fulfilment.pickups_returned", lambda: fulfilment_tracking.return_uncollected(db.uow())),
        ("notifications.follow_ups_queued", lambda: notifications.send_follow_ups(db.uow())),
        (
            "notifications.sent",
            lambda: notifications.deliver_due(db, sender, mail_from=settings.mail_from),
        ),
    ]


def _sync_work(db: Database) -> int:
    """Fulfilment orders for what was reserved since (placements, backorders filled)."""
    with db.uow() as uow:
        changed = fulfilment_work.sync(uow)
        uow.commit()
    return changed


def _settle_payments(db: Database, settings: Settings) -> int:
    from openoms.entrypoints.bootstrap import payment_gateways
    from openoms.payments.services.operations import settle_pending

    return settle_pending(db, payment_gateways(settings, db))


def run_once(db: Database, settings: Settings) -> dict[str, int]:
    """Run every job once; a failing job is logged and does not stop the others."""
    done: dict[str, int] = {}
    for name, job in jobs(db, settings):
        try:
            count = job()
        except Exception:  # the worker must outlive any single job's failure
            log.exception("worker.job_failed", job=name)
            continue
        done[name] = count
        if count:
            log.info(name, count=count)
    return done


class BackgroundWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.interval = settings.worker_interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="oms-worker", daemon=True)

    def start(self) -> None:
        log.info("worker.started", embedded=True, interval=self.interval)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            run_once(self.db, self.settings)
            self._stop.wait(self.interval)


def run_forever(db: Database, settings: Settings, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    log.info("worker.started", embedded=False, interval=settings.worker_interval_seconds)
    while not stop.is_set():
        run_once(db, settings)
        stop.wait(settings.worker_interval_seconds)
