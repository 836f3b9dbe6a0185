"""The event types a webhook can subscribe to: every name a domain writes to the outbox.

A domain that records a new event adds its name here (a test compares this list with the
``Event("…")`` names in the source), so integrators can discover it and subscriptions that
name it are accepted.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "inventory.low_stock": "A reservation took a location's free stock of a SKU down to its "
    "safety stock.",
    "order.created": "An order was placed (any channel).",
    "order.status_changed": "An order moved from one status to another.",
    "order.cancelled": "An order was cancelled.",
    "order.lines_changed": "Lines were added to an order or their quantities changed; the "
    "payload carries the new version and the balance.",
    "order.resourced": "Stock arrived for a backordered order and was reserved for it.",
    "payment.authorized": "A card or wallet payment was authorized for an order.",
    "payment.captured": "Money was captured on a payment, or received for an offline method "
    "(bank transfer, cash on delivery, invoice).",
    "payment.failed": "A payment was declined or refused; the order is held for payment.",
    "payment.voided": "An authorization was released (or an offline payment no longer awaited).",
    "payment.refunded": "Money was refunded on a payment.",
    "order.fraud_review": "Fraud screening sent an order to review; it waits on hold.",
    "order.fraud_rejected": "An order was rejected by fraud screening or in review, and cancelled.",
    "quote.sent": "A B2B quote was sent to the customer.",
    "quote.revised": "A sent quote was edited: a new version, in draft, to be sent again.",
    "quote.accepted": "A quote was accepted and became an order.",
    "quote.rejected": "The customer declined a quote.",
    "quote.expired": "A sent quote passed its validity date.",
    "invoice.issued": "An invoice was issued on payment terms, with its gap-free number.",
    "invoice.payment_received": "A payment was recorded against an invoice.",
    "invoice.paid": "An invoice is paid in full.",
    "invoice.voided": "An invoice with nothing paid was voided.",
    "invoice.overdue": "An invoice passed its due date with money still owed (told once).",
    "cart.abandoned": "A cart expired: its stock was released; its lines and value are kept.",
    "transfer.requested": "A stock transfer between locations was requested.",
    "transfer.shipped": "A stock transfer left its source location.",
    "transfer.received": "A stock transfer arrived at its destination.",
    "transfer.cancelled": "A stock transfer was cancelled before it shipped.",
    "order.shipped": "Everything left of an order has shipped (its last shipment left).",
    "order.partially_shipped": "A shipment left with part of an order; the rest follows.",
    "fulfilment_order.status_changed": "A location's work for an order moved on (released, "
    "picking, picked, packed, shipped, ready for pickup, collected, short, cancelled).",
    "fulfilment_order.packed": "A fulfilment order was packed into its packages.",
    "fulfilment_order.short_picked": "Units of a pick were not in their bin: written off and "
    "sourced again or backordered.",
    "fulfilment_order.ready_for_pickup": "A pickup order waits in its store; the payload "
    "carries the pickup code for the customer's message.",
    "fulfilment_order.collected": "The customer collected a pickup order (code checked).",
    "wave.released": "Pick lists were released to the floor for a wave of fulfilment orders.",
    "shipment.created": "A shipment left: carrier, service, tracking numbers, ETA and the "
    "value captured for it.",
    "shipment.tracking": "A carrier scan was recorded for a package.",
    "shipment.delivered": "Every package of a shipment was delivered.",
    "alert.delivery_exception": "A carrier reported a delivery exception (staff alert).",
    "alert.late_shipment": "A shipment is past its promised delivery date (staff alert, once).",
    "alert.capture_failed": "Capturing the payment for a shipment failed (an expired or "
    "voided authorization): finance must act (staff alert).",
    "alert.email_failed": "A customer message could not be sent after its last attempt "
    "(staff alert; it can be sent again from the order).",
    "order.rated": "A customer rated an order and its products through the follow-up link.",
    "case.opened": "A customer said something is missing (a case for customer service).",
    "inventory.count_needed": "A short pick found fewer units than the books can write off: "
    "count the bin.",
    "return.requested": "A return was opened (by the customer's link or by staff): lines, "
    "quantities and reasons.",
    "return.approved": "A return was approved; sent back by parcel it carries the return "
    "label's carrier and tracking number.",
    "return.rejected": "A requested return was rejected, with the reason.",
    "return.status_changed": "A return moved from one status to another.",
    "return.received": "A return arrived at a location and waits for inspection.",
    "return.inspected": "A return's units were restocked or written off.",
    "return.refunded": "A return was refunded to the original payment or as store credit.",
    "return.exchanged": "A return was exchanged: the replacement order's number, what the "
    "customer owes on it and what was refunded.",
    "return.closed": "A return was closed without a refund (withdrawn, or nothing owed).",
}
