"""Signed links for customers: the link names the order and is signed with the server's
secret, so it cannot be guessed or altered, and works without an account. A link does not
expire: it is in the customer's messages for as long as they keep them."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from openoms.shared.errors import NotFound

TRACKING = "order-tracking"
RATING = "order-rating"
RETURNING = "order-return"
RETURN_LABEL = "return-label"
RETURN_STATUS = "return-status"


class LinkInvalid(NotFound):
    code = "link_invalid"
    title = "Link not valid"


class CustomerLinks:
    def __init__(self, secret: str, base_url: str) -> None:
        self._tracking = URLSafeSerializer(secret, salt=TRACKING)
        self._rating = URLSafeSerializer(secret, salt=RATING)
        self._returning = URLSafeSerializer(secret, salt=RETURNING)
        self._label = URLSafeSerializer(secret, salt=RETURN_LABEL)
        self._status = URLSafeSerializer(secret, salt=RETURN_STATUS)
        self._base = base_url.rstrip("/")

    def tracking_token(self, order_number: str) -> str:
        return str(self._tracking.dumps({"o": order_number}))

    def tracking_url(self, order_number: str) -> str:
        return f"{self._base}/track/{self.tracking_token(order_number)}"

    def rating_url(self, order_number: str) -> str:
        return f"{self._base}/rate/{self._rating.dumps({'o': order_number})}"

    def return_url(self, order_number: str) -> str:
        """The customer's page to start a return of the order."""
        return f"{self._base}/returns/new/{self._returning.dumps({'o': order_number})}"

    def order_to_return(self, token: str) -> str:
        """Raises: LinkInvalid."""
        return self._load(self._returning, token)

    def return_label_url(self, return_number: str) -> str:
        """The return label of an approved return (a PDF), for the customer to print."""
        return f"{self._base}/returns/label/{self._label.dumps({'o': return_number})}"

    def return_of_label(self, token: str) -> str:
        """The return a label token names. Raises: LinkInvalid."""
        return self._load(self._label, token)

    def return_requested_path(self, return_number: str) -> str:
        """Where the customer lands after asking for a return (a page to reload safely)."""
        return f"/returns/requested/{self._status.dumps({'o': return_number})}"

    def return_of_request(self, token: str) -> str:
        """Raises: LinkInvalid."""
        return self._load(self._status, token)

    def order_to_rate(self, token: str) -> str:
        """The order a rating token names. Raises: LinkInvalid."""
        return self._load(self._rating, token)

    def order_of(self, token: str) -> str:
        """The order a tracking token names. Raises: LinkInvalid (altered or foreign)."""
        return self._load(self._tracking, token)

    @staticmethod
    def _load(serializer: URLSafeSerializer, token: str) -> str:
        try:
            data = serializer.loads(token)
        except BadSignature as e:
            raise LinkInvalid("This link is not valid.") from e
        number = data.get("o") if isinstance(data, dict) else None
        if not isinstance(number, str):
            raise LinkInvalid("This link is not valid.")
        return number
