"""Every table of every domain on one MetaData, for migrations and schema checks."""

from __future__ import annotations

from openoms.accounting import orm as accounting_orm
from openoms.alerts import orm as alerts_orm
from openoms.carts import orm as carts_orm
from openoms.catalog import orm as catalog_orm
from openoms.channels import orm as channels_orm
from openoms.customers import orm as customers_orm
from openoms.fulfillment import orm as fulfillment_orm
from openoms.identity import orm as identity_orm
from openoms.infra import idempotency, outbox, sequences
from openoms.infra.db import metadata
from openoms.integrations.webhooks import orm as webhooks_orm
from openoms.inventory import orm as inventory_orm
from openoms.locations import orm as locations_orm
from openoms.notifications import orm as notifications_orm
from openoms.orders import orm as orders_orm
from openoms.payments import orm as payments_orm
from openoms.receivables import orm as receivables_orm
from openoms.returns import orm as returns_orm
from openoms.selfservice import orm as selfservice_orm

_ALL = (
    catalog_orm,
    locations_orm,
    inventory_orm,
    idempotency,
    outbox,
    sequences,
    webhooks_orm,
    channels_orm,
    customers_orm,
    accounting_orm,
    orders_orm,
    carts_orm,
    identity_orm,
    payments_orm,
    receivables_orm,
    fulfillment_orm,
    notifications_orm,
    selfservice_orm,
    alerts_orm,
    returns_orm,
)
target_metadata = metadata
