"""Webhooks: outbox events delivered to subscribed URLs, signed, retried, replayable.

``fanout.dispatch_events`` turns outbox events into one delivery per matching subscription;
``relay.deliver_due`` claims due deliveries, sends them outside any transaction and records
each attempt. The receiver's side of the signature is in ``signing`` and ``docs/webhooks.md``.
"""
