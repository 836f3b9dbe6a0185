"""The orders the clients send: 3 lines of one unit, SKUs spread out or the same hot ones."""

from __future__ import annotations

import random
from typing import Any

from bench.orders.seed import DESTINATION, Shop
from openoms.customers.model import PostalAddress
from openoms.orders.placement import LineInput, OrderInput

ADDRESS = {
    "name": "Bench Buyer",
    "line1": "Oudegracht 1",
    "city": "Utrecht",
    "postal_code": "3511",
    "country": "NL",
    "latitude": DESTINATION[0],
    "longitude": DESTINATION[1],
}


class OrderMaker:
    """Order after order for one client; every external id is unique within the run."""

    def __init__(self, shop: Shop, mix: str, lines: int, client: str) -> None:
        self._shop = shop
        self._hot = mix == "hot"
        self._lines = lines
        self._client = client
        self._rng = random.Random(client)
        self._count = 0

    def skus(self) -> list[str]:
        if self._hot:
            return list(self._shop.skus[: self._lines])
        return self._rng.sample(self._shop.skus, self._lines)

    def external_id(self) -> str:
        self._count += 1
        return f"{self._client}-{self._count}"

    def email(self) -> str:
        return self._rng.choice(self._shop.emails)

    def body(self) -> dict[str, Any]:
        """The JSON of POST /api/v1/orders."""
        return {
            "channel": self._shop.channel,
            "external_id": self.external_id(),
            "customer": {"email": self.email(), "name": "Bench Buyer"},
            "currency": "EUR",
            "billing_address": ADDRESS,
            "shipping_address": ADDRESS,
            "lines": [{"sku": sku, "quantity": 1} for sku in self.skus()],
        }

    def order_input(self) -> OrderInput:
        """The same order for openoms.orders.placement.place_order."""
        address = PostalAddress(**ADDRESS)  # type: ignore[arg-type]
        return OrderInput(
            channel=self._shop.channel,
            email=self.email(),
            currency="EUR",
            lines=[LineInput(sku, 1) for sku in self.skus()],
            billing_address=address,
            shipping_address=address,
            external_id=self.external_id(),
            customer_name="Bench Buyer",
        )
