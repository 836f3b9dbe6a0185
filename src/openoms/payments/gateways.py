"""The gateways this installation is configured with, by name.

``entrypoints/bootstrap.py`` builds them from settings: the built-in test card gateway is
always there (its state in the database); Stripe and PayPal when their keys are set.
"""

from __future__ import annotations

from collections.abc import Mapping

from openoms.payments.giftcards import GiftCardGateway
from openoms.payments.model import Gateway, PaymentMethod
from openoms.payments.testcard import TestCardGateway
from openoms.shared.errors import ValidationFailed

# Which gateways take which method; the first configured one is the default.
METHOD_GATEWAYS: dict[PaymentMethod, tuple[str, ...]] = {
    PaymentMethod.CARD: ("stripe", "test_card"),
    PaymentMethod.PAYPAL: ("paypal",),
    PaymentMethod.GIFT_CARD: ("gift_card",),
}


class Gateways:
    def __init__(self, gateways: Mapping[str, Gateway]) -> None:
        self._gateways = dict(gateways)

    def names(self) -> list[str]:
        return sorted(self._gateways)

    def get(self, name: str) -> Gateway:
        """Raises: ValidationFailed (not configured here)."""
        found = self._gateways.get(name)
        if found is None:
            raise ValidationFailed.single(
                "payment.gateway",
                f"the gateway '{name}' is not configured here "
                f"(configured: {', '.join(self.names()) or 'none'})",
            )
        return found

    def for_method(self, method: PaymentMethod, name: str | None) -> str:
        """The gateway that takes ``method``: the one named, else the default.

        Raises: ValidationFailed.
        """
        allowed = METHOD_GATEWAYS.get(method, ())
        if name is not None:
            if name not in allowed:
                raise ValidationFailed.single(
                    "payment.gateway", f"{method.value} payments go through {', '.join(allowed)}"
                )
            self.get(name)
            return name
        for candidate in allowed:
            if candidate in self._gateways:
                return candidate
        raise ValidationFailed.single(
            "payment.method", f"no gateway for {method.value} payments is configured here"
        )

    @property
    def gift_cards(self) -> GiftCardGateway | None:
        found = self._gateways.get("gift_card")
        return found if isinstance(found, GiftCardGateway) else None

    @property
    def test_card(self) -> TestCardGateway | None:
        found = self._gateways.get("test_card")
        return found if isinstance(found, TestCardGateway) else None
