"""Fraud screening: score an order against configurable rules and explain every point.

Pure and deterministic: no clock, no randomness, no database. The caller gathers the
facts about an order (``FraudFacts``), including the counts of recent orders over the
windows the configuration names (``FraudConfig.window_for``), and calls ``screen``. Each
rule that fires adds its points to the score and one ``Reason`` saying why; a rule that
does not fire adds nothing. The score decides accept, review or reject against the
configuration's thresholds; a rule may also force at least a given decision (a blocklist
hit rejecting whatever the score).

The configuration is data, kept as JSON per channel: ``FraudConfig.to_dict`` and
``FraudConfig.from_dict``, which validates everything and reports one ``FieldError`` per
problem, with paths such as ``rules[3].points``.

Amounts are integer minor units of the base currency, as everywhere in OpenOMS.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeAlias, cast

from openoms.payments.model import CheckResult
from openoms.shared.errors import FieldError, ValidationFailed
from openoms.shared.money import Money, validate_currency

DEFAULT_WINDOW_MINUTES = 60

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


class Decision(StrEnum):
    """What to do with a screened order, from the mildest to the most severe."""

    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        """0 for accept, 1 for review, 2 for reject: decisions compare by severity."""
        return _SEVERITY[self]


_SEVERITY: dict[Decision, int] = {Decision.ACCEPT: 0, Decision.REVIEW: 1, Decision.REJECT: 2}


class RuleKind(StrEnum):
    """Every rule the engine knows."""

    VELOCITY_EMAIL = "velocity_email"
    VELOCITY_CARD = "velocity_card"
    VELOCITY_IP = "velocity_ip"
    VELOCITY_DEVICE = "velocity_device"
    COUNTRY_MISMATCH = "country_mismatch"
    HIGH_VALUE_VS_HISTORY = "high_value_vs_history"
    FIRST_ORDER_HIGH_VALUE = "first_order_high_value"
    BLOCKLIST_EMAIL = "blocklist_email"
    BLOCKLIST_IP = "blocklist_ip"
    BLOCKLIST_CARD = "blocklist_card"
    BLOCKLIST_ADDRESS = "blocklist_address"
    AVS_FAIL = "avs_fail"
    CVC_FAIL = "cvc_fail"
    FAILED_AUTHORIZATIONS = "failed_authorizations"


# Rules that count events over a time window: the caller counts over ``window_for(kind)``.
WINDOWED_KINDS: frozenset[RuleKind] = frozenset(
    {
        RuleKind.VELOCITY_EMAIL,
        RuleKind.VELOCITY_CARD,
        RuleKind.VELOCITY_IP,
        RuleKind.VELOCITY_DEVICE,
        RuleKind.FAILED_AUTHORIZATIONS,
    }
)

# Parameters each kind must have, and those it may have, besides the ones every rule has
# (kind, points, enabled, force_decision).
_REQUIRED: dict[RuleKind, frozenset[str]] = {
    **{kind: frozenset({"threshold"}) for kind in WINDOWED_KINDS},
    RuleKind.HIGH_VALUE_VS_HISTORY: frozenset({"factor", "min_orders"}),
    RuleKind.FIRST_ORDER_HIGH_VALUE: frozenset({"amount_minor"}),
}
_OPTIONAL: dict[RuleKind, frozenset[str]] = {
    kind: frozenset({"window_minutes"}) for kind in WINDOWED_KINDS
}
_PARAMETERS = ("threshold", "window_minutes", "factor", "min_orders", "amount_minor")
_COMMON_KEYS = ("kind", "enabled", "points", "force_decision")


def parameters_of(kind: RuleKind) -> frozenset[str]:
    """The parameters a rule of this kind takes, besides enabled, points and force_decision."""
    return _REQUIRED.get(kind, frozenset()) | _OPTIONAL.get(kind, frozenset())


# --- small checks shared by the dataclasses and from_dict ----------------------------------


def _int_problem(value: object, name: str, minimum: int) -> FieldError | None:
    if value is None:
        return FieldError(name, "is required")
    if isinstance(value, bool) or not isinstance(value, int):
        return FieldError(name, f"must be a whole number, got {value!r}")
    if value < minimum:
        return FieldError(name, f"must be at least {minimum}, got {value}")
    return None


def _collect(*problems: FieldError | None) -> list[FieldError]:
    return [problem for problem in problems if problem is not None]


def _prefixed(prefix: str, errors: Iterable[FieldError]) -> list[FieldError]:
    return [FieldError(f"{prefix}.{e.field}" if e.field else prefix, e.message) for e in errors]


def _format_decimal(value: Decimal) -> str:
    """``Decimal("2.50")`` -> ``"2.5"``, ``Decimal("100")`` -> ``"100"``."""
    return format(value.normalize(), "f")


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleConfig:
    """One rule: its kind, whether it applies, its points, and the parameters of its kind.

    Parameters by kind:

    - ``velocity_email``, ``velocity_card``, ``velocity_ip``, ``velocity_device``,
      ``failed_authorizations``: ``threshold`` (the most events allowed in the window; the
      rule fires above it) and optionally ``window_minutes`` (else the configuration's).
    - ``high_value_vs_history``: ``factor`` (fires when the total is above factor times the
      customer's average order) and ``min_orders`` (the history needed for an average to
      mean anything).
    - ``first_order_high_value``: ``amount_minor`` (fires when a first order is above it).
    - the others take no parameters.

    ``force_decision`` (review or reject), when set, makes the decision at least that
    severe whenever the rule fires, whatever the score.
    """

    kind: RuleKind
    points: int
    enabled: bool = True
    threshold: int | None = None
    window_minutes: int | None = None
    factor: Decimal | None = None
    min_orders: int | None = None
    amount_minor: int | None = None
    force_decision: Decision | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValidationFailed(problems, f"The {self.kind} rule is not valid.")

    def problems(self) -> list[FieldError]:
        """Everything wrong with this rule, one entry per field (empty when valid)."""
        if not isinstance(self.kind, RuleKind):
            return [FieldError("kind", f"{self.kind!r} is not a rule kind")]
        errors = _collect(_int_problem(self.points, "points", 0))
        if not isinstance(self.enabled, bool):
            errors.append(FieldError("enabled", f"must be true or false, got {self.enabled!r}"))
        required = _REQUIRED.get(self.kind, frozenset())
        allowed = parameters_of(self.kind)
        for name in _PARAMETERS:
            value = getattr(self, name)
            if name not in allowed:
                if value is not None:
                    errors.append(
                        FieldError(name, f"is not a parameter of rule kind '{self.kind}'")
                    )
                continue
            if value is None and name not in required:
                continue
            if name == "factor":
                errors.extend(_collect(_factor_problem(value)))
            else:
                minimum = 1 if name in ("window_minutes", "min_orders") else 0
                errors.extend(_collect(_int_problem(value, name, minimum)))
        if self.force_decision is not None and self.force_decision not in (
            Decision.REVIEW,
            Decision.REJECT,
        ):
            errors.append(FieldError("force_decision", "must be 'review' or 'reject' when set"))
        return errors

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data: kind, enabled, points, then the parameters set."""
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "enabled": self.enabled,
            "points": self.points,
        }
        for name in _PARAMETERS:
            value = getattr(self, name)
            if value is None:
                continue
            data[name] = _format_decimal(value) if isinstance(value, Decimal) else value
        if self.force_decision is not None:
            data["force_decision"] = str(self.force_decision)
        return data

    @classmethod
    def from_dict(cls, data: object) -> RuleConfig:
        """Read a rule written by ``to_dict``; raise ValidationFailed listing every problem.

        ``factor`` may be a number or a decimal string; field paths are relative to the rule
        (``points``, ``factor``).
        """
        if not isinstance(data, Mapping):
            raise ValidationFailed([FieldError("", "must be an object")], "A rule is not valid.")
        raw_kind = data.get("kind")
        if raw_kind is None:
            raise ValidationFailed([FieldError("kind", "is required")], "A rule is not valid.")
        kind = _kind_or_none(raw_kind)
        if kind is None:
            known = ", ".join(k.value for k in RuleKind)
            raise ValidationFailed(
                [FieldError("kind", f"{raw_kind!r} is not a rule kind (known: {known})")],
                "A rule is not valid.",
            )
        errors: list[FieldError] = []
        allowed = set(_COMMON_KEYS) | parameters_of(kind)
        values: dict[str, Any] = {"kind": kind, "points": data.get("points")}
        unreadable: set[str] = set()
        for key, value in data.items():
            if key in ("kind", "points"):
                continue
            if key not in allowed:
                errors.append(FieldError(str(key), f"is not a parameter of rule kind '{kind}'"))
            elif key == "factor":
                parsed, problem = _parse_factor(value)
                if problem is not None:
                    errors.append(problem)
                    unreadable.add(key)
                else:
                    values[key] = parsed
            elif key == "force_decision":
                decision = _parse_force_decision(value)
                if decision is None:
                    errors.append(
                        FieldError(key, f"must be 'review' or 'reject' when set, got {value!r}")
                    )
                    unreadable.add(key)
                else:
                    values[key] = decision
            else:
                values[key] = value
        try:
            rule = cls(**values)
        except ValidationFailed as invalid:
            # A value that could not be read is reported once, not again as missing.
            errors.extend(e for e in invalid.errors if e.field not in unreadable)
        else:
            if not errors:
                return rule
        raise ValidationFailed(errors, f"The {kind} rule is not valid.")


def _factor_problem(value: object) -> FieldError | None:
    if value is None:
        return FieldError("factor", "is required")
    if not isinstance(value, Decimal) or not value.is_finite():
        return FieldError("factor", f"must be a finite decimal number, got {value!r}")
    if value <= 0:
        return FieldError("factor", f"must be above 0, got {_format_decimal(value)}")
    return None


def _parse_factor(value: object) -> tuple[Decimal | None, FieldError | None]:
    """A factor from JSON: an int, a float or a decimal string (or a Decimal)."""
    bad = FieldError("factor", f"must be a number or a decimal string, got {value!r}")
    if isinstance(value, bool):
        return None, bad
    if isinstance(value, int | float | str | Decimal):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None, bad
        if not number.is_finite():
            return None, bad
        return number, None
    return None, bad


def _parse_force_decision(value: object) -> Decision | None:
    if value in (Decision.REVIEW.value, Decision.REJECT.value):
        return Decision(value)
    return None


def _kind_or_none(value: object) -> RuleKind | None:
    try:
        return RuleKind(str(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _config_problems(
    review_at: object, reject_at: object, window_minutes: object, kinds: Sequence[RuleKind | None]
) -> list[FieldError]:
    """Problems of a configuration outside its rules: thresholds, window, repeated kinds."""
    thresholds = _collect(
        _int_problem(review_at, "review_at", 0), _int_problem(reject_at, "reject_at", 0)
    )
    errors = thresholds + _collect(_int_problem(window_minutes, "window_minutes", 1))
    if not thresholds and cast(int, review_at) > cast(int, reject_at):
        errors.append(
            FieldError("review_at", f"must not be above reject_at ({review_at} > {reject_at})")
        )
    first_index: dict[RuleKind, int] = {}
    for index, kind in enumerate(kinds):
        if kind is None:
            continue
        if kind in first_index:
            errors.append(
                FieldError(
                    f"rules[{index}].kind",
                    f"rule kind '{kind}' appears more than once "
                    f"(first at rules[{first_index[kind]}])",
                )
            )
        else:
            first_index[kind] = index
    return errors


@dataclass(frozen=True)
class FraudConfig:
    """The rules of one channel and the thresholds of the decision.

    The decision by score: ``score >= reject_at`` rejects, else ``score >= review_at``
    reviews, else accepts. A kind absent from ``rules`` is not applied; a kind may appear
    once. ``window_minutes`` is the velocity window of rules that name none.

    As a dict (JSON)::

        {
          "review_at": 50,
          "reject_at": 100,
          "window_minutes": 60,
          "rules": [
            {"kind": "velocity_email", "enabled": true, "points": 20, "threshold": 3},
            {"kind": "blocklist_card", "enabled": true, "points": 100,
             "force_decision": "reject"},
            ...
          ]
        }
    """

    review_at: int
    reject_at: int
    rules: tuple[RuleConfig, ...]
    window_minutes: int = DEFAULT_WINDOW_MINUTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        errors: list[FieldError] = []
        kinds: list[RuleKind | None] = []
        for index, rule in enumerate(self.rules):
            if isinstance(rule, RuleConfig):
                kinds.append(rule.kind)
            else:
                kinds.append(None)
                errors.append(FieldError(f"rules[{index}]", "must be a RuleConfig"))
        errors.extend(_config_problems(self.review_at, self.reject_at, self.window_minutes, kinds))
        if errors:
            raise ValidationFailed(errors, "The fraud configuration is not valid.")

    def rule(self, kind: RuleKind) -> RuleConfig | None:
        """The rule of this kind, or None when the configuration has none."""
        for rule in self.rules:
            if rule.kind == kind:
                return rule
        return None

    def window_for(self, kind: RuleKind) -> int:
        """The window, in minutes, over which the caller counts the events of this kind."""
        if kind not in WINDOWED_KINDS:
            raise ValueError(f"rule kind '{kind}' counts nothing over a window")
        rule = self.rule(kind)
        if rule is not None and rule.window_minutes is not None:
            return rule.window_minutes
        return self.window_minutes

    def decide(self, score: int) -> Decision:
        """The decision the score alone leads to."""
        return _decide(score, self.review_at, self.reject_at)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data, read back by ``from_dict``."""
        return {
            "review_at": self.review_at,
            "reject_at": self.reject_at,
            "window_minutes": self.window_minutes,
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FraudConfig:
        """Read a configuration; raise ValidationFailed with one FieldError per problem.

        ``review_at``, ``reject_at`` and ``rules`` are required; ``window_minutes``
        defaults to 60. Unknown keys, unknown rule kinds, unknown parameters, missing or
        out-of-range values and repeated kinds are all reported at once.
        """
        if not isinstance(data, Mapping):
            raise ValidationFailed.single("", "the fraud configuration must be an object")
        errors: list[FieldError] = []
        for key in data:
            if key not in ("review_at", "reject_at", "window_minutes", "rules"):
                errors.append(FieldError(str(key), "is not a setting of the fraud configuration"))
        raw_rules = data.get("rules")
        rules: list[RuleConfig] = []
        kinds: list[RuleKind | None] = []
        if raw_rules is None:
            errors.append(FieldError("rules", "is required"))
        elif not isinstance(raw_rules, list | tuple):
            errors.append(FieldError("rules", "must be a list of rules"))
        else:
            for index, raw in enumerate(raw_rules):
                prefix = f"rules[{index}]"
                kinds.append(_kind_or_none(raw.get("kind") if isinstance(raw, Mapping) else None))
                try:
                    rules.append(RuleConfig.from_dict(raw))
                except ValidationFailed as invalid:
                    errors.extend(_prefixed(prefix, invalid.errors))
        window = data.get("window_minutes", DEFAULT_WINDOW_MINUTES)
        errors.extend(_config_problems(data.get("review_at"), data.get("reject_at"), window, kinds))
        if errors:
            raise ValidationFailed(errors, "The fraud configuration is not valid.")
        return cls(
            review_at=cast(int, data["review_at"]),  # checked above
            reject_at=cast(int, data["reject_at"]),
            rules=tuple(rules),
            window_minutes=cast(int, window),
        )


DEFAULT_CONFIG = FraudConfig(
    review_at=50,
    reject_at=100,
    window_minutes=DEFAULT_WINDOW_MINUTES,
    rules=(
        RuleConfig(RuleKind.VELOCITY_EMAIL, points=20, threshold=3),
        RuleConfig(RuleKind.VELOCITY_CARD, points=25, threshold=3),
        RuleConfig(RuleKind.VELOCITY_IP, points=15, threshold=5),
        RuleConfig(RuleKind.VELOCITY_DEVICE, points=15, threshold=5),
        RuleConfig(RuleKind.COUNTRY_MISMATCH, points=15),
        RuleConfig(RuleKind.HIGH_VALUE_VS_HISTORY, points=20, factor=Decimal(3), min_orders=3),
        RuleConfig(RuleKind.FIRST_ORDER_HIGH_VALUE, points=15, amount_minor=50_000),
        RuleConfig(RuleKind.BLOCKLIST_EMAIL, points=100, force_decision=Decision.REJECT),
        RuleConfig(RuleKind.BLOCKLIST_IP, points=100, force_decision=Decision.REJECT),
        RuleConfig(RuleKind.BLOCKLIST_CARD, points=100, force_decision=Decision.REJECT),
        RuleConfig(RuleKind.BLOCKLIST_ADDRESS, points=50, force_decision=Decision.REVIEW),
        RuleConfig(RuleKind.AVS_FAIL, points=20),
        RuleConfig(RuleKind.CVC_FAIL, points=30),
        RuleConfig(RuleKind.FAILED_AUTHORIZATIONS, points=25, threshold=2),
    ),
)


# --- facts and blocklist --------------------------------------------------------------------


_NOT_WORD = re.compile(r"[\W_]+")


def normalise_address(text: str) -> str:
    """An address line as the blocklist compares it: compatibility-normalised, casefolded,
    punctuation taken for spaces and runs of spaces collapsed.

    ``"12, Main St."`` and ``"12  main st"`` both become ``"12 main st"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def normalise_email(text: str) -> str:
    """An email as the blocklist compares it: trimmed and casefolded."""
    return text.strip().casefold()


def _parse_ip(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _country_problem(value: str | None, name: str) -> FieldError | None:
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha()):
        return FieldError(name, f"must be a two-letter country code, got {value!r}")
    return None


@dataclass(frozen=True)
class FraudFacts:
    """Everything the rules look at, gathered by the caller at order placement.

    Amounts are minor units of the base currency ``currency``. ``shipping_country`` and
    ``shipping_address`` are None for store pickup. The velocity counts are of orders
    placed within the rule's window (``FraudConfig.window_for``) *including the order
    being screened*; ``failed_authorizations`` counts the failed authorizations for this
    email or card in the ``failed_authorizations`` rule's window. A count is not looked at
    when its identifier (card fingerprint, ip, device id) is None. ``previous_orders`` and
    ``average_order_minor`` describe the customer's earlier orders (none for a guest).
    """

    total_minor: int
    currency: str
    email: str
    billing_country: str | None
    shipping_country: str | None
    shipping_address: str | None = None
    ip: str | None = None
    device_id: str | None = None
    card_fingerprint: str | None = None
    avs: CheckResult | None = None
    cvc: CheckResult | None = None
    previous_orders: int = 0
    average_order_minor: int | None = None
    orders_same_email: int = 0
    orders_same_card: int = 0
    orders_same_ip: int = 0
    orders_same_device: int = 0
    failed_authorizations: int = 0

    def __post_init__(self) -> None:
        errors = _collect(
            _int_problem(self.total_minor, "total_minor", 0),
            _int_problem(self.previous_orders, "previous_orders", 0),
            _int_problem(self.orders_same_email, "orders_same_email", 0),
            _int_problem(self.orders_same_card, "orders_same_card", 0),
            _int_problem(self.orders_same_ip, "orders_same_ip", 0),
            _int_problem(self.orders_same_device, "orders_same_device", 0),
            _int_problem(self.failed_authorizations, "failed_authorizations", 0),
            _country_problem(self.billing_country, "billing_country"),
            _country_problem(self.shipping_country, "shipping_country"),
        )
        if self.average_order_minor is not None:
            errors.extend(
                _collect(_int_problem(self.average_order_minor, "average_order_minor", 0))
            )
        try:
            validate_currency(self.currency, "currency")
        except ValidationFailed as invalid:
            errors.extend(invalid.errors)
        if self.ip is not None:
            try:
                _parse_ip(self.ip)
            except ValueError:
                errors.append(FieldError("ip", f"{self.ip!r} is not an IP address"))
        if errors:
            raise ValidationFailed(errors, "The fraud facts are not valid.")

    def money(self, amount_minor: int) -> str:
        """An amount of the base currency for people: ``"450.00 EUR"``."""
        return f"{Money(amount_minor, self.currency).amount_str()} {self.currency}"


@dataclass(frozen=True)
class Blocklist:
    """Emails, IPs, card fingerprints and address lines whose orders are suspect.

    Entries are normalised on construction: emails casefolded (an entry ``"@example.com"``
    blocks the whole domain, not its subdomains); IPs as exact addresses or CIDR networks
    (``"203.0.113.0/24"``, host bits must be zero); addresses as ``normalise_address``
    makes them. Invalid entries raise ValidationFailed.
    """

    emails: frozenset[str] = frozenset()
    ips: frozenset[str] = frozenset()
    card_fingerprints: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    _networks: tuple[IPNetwork, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        emails: set[str] = set()
        for entry in self.emails:
            email = normalise_email(entry)
            local, at, domain = email.rpartition("@")
            if not at or not domain or "@" in local:
                errors.append(
                    FieldError("emails", f"{entry!r} is not an email address or an @domain")
                )
            else:
                emails.add(email)
        networks: set[IPNetwork] = set()
        for entry in self.ips:
            try:
                networks.add(ipaddress.ip_network(entry.strip(), strict=True))
            except ValueError:
                errors.append(FieldError("ips", f"{entry!r} is not an IP address or network"))
        cards = {entry.strip() for entry in self.card_fingerprints}
        if "" in cards:
            errors.append(FieldError("card_fingerprints", "an entry is empty"))
        addresses = {normalise_address(entry) for entry in self.addresses}
        if "" in addresses:
            errors.append(FieldError("addresses", "an entry is empty once normalised"))
        if errors:
            raise ValidationFailed(errors, "The blocklist is not valid.")
        ordered = tuple(sorted(networks, key=lambda n: (n.version, n.network_address, n.prefixlen)))
        object.__setattr__(self, "emails", frozenset(emails))
        object.__setattr__(self, "ips", frozenset(_network_text(n) for n in ordered))
        object.__setattr__(self, "card_fingerprints", frozenset(cards))
        object.__setattr__(self, "addresses", frozenset(addresses))
        object.__setattr__(self, "_networks", ordered)

    def match_email(self, email: str) -> str | None:
        """The entry blocking this email (the address or its ``@domain``), or None."""
        normal = normalise_email(email)
        if normal in self.emails:
            return normal
        _, at, domain = normal.rpartition("@")
        if at and f"@{domain}" in self.emails:
            return f"@{domain}"
        return None

    def match_ip(self, ip: str) -> str | None:
        """The entry (address or network) blocking this IP, or None."""
        try:
            address = _parse_ip(ip)
        except ValueError:
            return None
        for network in self._networks:
            if address in network:
                return _network_text(network)
        return None

    def match_card(self, fingerprint: str) -> bool:
        """Whether this card fingerprint is blocked."""
        return fingerprint.strip() in self.card_fingerprints

    def match_address(self, address: str) -> bool:
        """Whether this address line, once normalised, is blocked."""
        return normalise_address(address) in self.addresses


def _network_text(network: IPNetwork) -> str:
    """A one-host network as its address, any other in CIDR notation."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


EMPTY_BLOCKLIST = Blocklist()


# --- screening ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a rule added points: its kind, the points, a sentence for people, and the
    numbers behind the sentence for machines."""

    kind: RuleKind
    points: int
    message: str
    details: Mapping[str, str | int] = field(default_factory=dict)
    force_decision: Decision | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "points": self.points,
            "message": self.message,
            "details": dict(self.details),
            "force_decision": None if self.force_decision is None else str(self.force_decision),
        }


@dataclass(frozen=True)
class Screening:
    """The outcome of screening an order: the score, the decision and every reason.

    ``score`` is the sum of the reasons' points. ``decision`` is the one the score leads
    to, raised to the most severe ``force_decision`` among the reasons.
    """

    score: int
    decision: Decision
    reasons: list[Reason]
    review_at: int
    reject_at: int

    @property
    def forced(self) -> bool:
        """Whether a rule's forced decision, not the score, decided."""
        return self.decision.severity > _decide(self.score, self.review_at, self.reject_at).severity

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data for the order's timeline."""
        return {
            "score": self.score,
            "decision": str(self.decision),
            "review_at": self.review_at,
            "reject_at": self.reject_at,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


def _decide(score: int, review_at: int, reject_at: int) -> Decision:
    if score >= reject_at:
        return Decision.REJECT
    if score >= review_at:
        return Decision.REVIEW
    return Decision.ACCEPT


@dataclass(frozen=True)
class _Hit:
    message: str
    details: dict[str, str | int]


@dataclass(frozen=True)
class _Check:
    """What one rule is evaluated against."""

    rule: RuleConfig
    facts: FraudFacts
    config: FraudConfig
    blocklist: Blocklist


_Evaluator: TypeAlias = Callable[[_Check], _Hit | None]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _velocity(count_of: Callable[[FraudFacts], int], noun: str, what: str) -> _Evaluator:
    """A rule firing when more events than its threshold fall in its window."""

    def evaluate(check: _Check) -> _Hit | None:
        count, limit = count_of(check.facts), check.rule.threshold
        assert limit is not None  # required for the kind, checked by RuleConfig
        if count <= limit:
            return None
        window = check.config.window_for(check.rule.kind)
        return _Hit(
            f"{_plural(count, noun)} {what} in the last {window} minutes (limit {limit})",
            {"count": count, "limit": limit, "window_minutes": window},
        )

    return evaluate


def _country_mismatch(check: _Check) -> _Hit | None:
    billing, shipping = check.facts.billing_country, check.facts.shipping_country
    if billing is None or shipping is None or billing.upper() == shipping.upper():
        return None
    billing, shipping = billing.upper(), shipping.upper()
    return _Hit(
        f"Billing country {billing} differs from shipping country {shipping}",
        {"billing_country": billing, "shipping_country": shipping},
    )


def _high_value_vs_history(check: _Check) -> _Hit | None:
    facts, factor, min_orders = check.facts, check.rule.factor, check.rule.min_orders
    assert factor is not None  # required for the kind
    assert min_orders is not None
    average = facts.average_order_minor
    if average is None or facts.previous_orders < min_orders:
        return None
    if Fraction(facts.total_minor) <= Fraction(factor) * average:
        return None
    shown = _format_decimal(factor)
    return _Hit(
        f"Order total {facts.money(facts.total_minor)} is more than {shown} times this "
        f"customer's average order of {facts.money(average)} "
        f"(over {_plural(facts.previous_orders, 'previous order')})",
        {
            "total_minor": facts.total_minor,
            "average_minor": average,
            "factor": shown,
            "previous_orders": facts.previous_orders,
        },
    )


def _first_order_high_value(check: _Check) -> _Hit | None:
    facts, amount = check.facts, check.rule.amount_minor
    assert amount is not None  # required for the kind
    if facts.previous_orders > 0 or facts.total_minor <= amount:
        return None
    return _Hit(
        f"First order from this customer: total {facts.money(facts.total_minor)} is above "
        f"{facts.money(amount)}",
        {"total_minor": facts.total_minor, "amount_minor": amount},
    )


def _blocklist_email(check: _Check) -> _Hit | None:
    entry = check.blocklist.match_email(check.facts.email)
    if entry is None:
        return None
    if entry.startswith("@"):
        return _Hit(f"Email domain {entry} is on the blocklist", {"entry": entry})
    return _Hit(f"Email {entry} is on the blocklist", {"entry": entry})


def _blocklist_ip(check: _Check) -> _Hit | None:
    if check.facts.ip is None:
        return None
    entry = check.blocklist.match_ip(check.facts.ip)
    if entry is None:
        return None
    ip = str(_parse_ip(check.facts.ip))
    if entry == ip:
        message = f"IP address {ip} is on the blocklist"
    else:
        message = f"IP address {ip} is in the blocked network {entry}"
    return _Hit(message, {"ip": ip, "entry": entry})


def _blocklist_card(check: _Check) -> _Hit | None:
    fingerprint = check.facts.card_fingerprint
    if fingerprint is None or not check.blocklist.match_card(fingerprint):
        return None
    entry = fingerprint.strip()
    return _Hit(f"Card with fingerprint {entry} is on the blocklist", {"entry": entry})


def _blocklist_address(check: _Check) -> _Hit | None:
    address = check.facts.shipping_address
    if address is None or not check.blocklist.match_address(address):
        return None
    return _Hit("Shipping address is on the blocklist", {"entry": normalise_address(address)})


def _check_failed(read: Callable[[FraudFacts], CheckResult | None], message: str) -> _Evaluator:
    """A rule firing when the issuer's check (AVS or CVC) failed."""

    def evaluate(check: _Check) -> _Hit | None:
        if read(check.facts) != CheckResult.FAIL:
            return None
        return _Hit(message, {"result": str(CheckResult.FAIL)})

    return evaluate


_EVALUATORS: dict[RuleKind, _Evaluator] = {
    RuleKind.VELOCITY_EMAIL: _velocity(lambda f: f.orders_same_email, "order", "from this email"),
    RuleKind.VELOCITY_CARD: _velocity(
        lambda f: f.orders_same_card if f.card_fingerprint is not None else 0,
        "order",
        "with this card",
    ),
    RuleKind.VELOCITY_IP: _velocity(
        lambda f: f.orders_same_ip if f.ip is not None else 0, "order", "from this IP address"
    ),
    RuleKind.VELOCITY_DEVICE: _velocity(
        lambda f: f.orders_same_device if f.device_id is not None else 0,
        "order",
        "from this device",
    ),
    RuleKind.FAILED_AUTHORIZATIONS: _velocity(
        lambda f: f.failed_authorizations,
        "failed payment authorization",
        "for this email or card",
    ),
    RuleKind.COUNTRY_MISMATCH: _country_mismatch,
    RuleKind.HIGH_VALUE_VS_HISTORY: _high_value_vs_history,
    RuleKind.FIRST_ORDER_HIGH_VALUE: _first_order_high_value,
    RuleKind.BLOCKLIST_EMAIL: _blocklist_email,
    RuleKind.BLOCKLIST_IP: _blocklist_ip,
    RuleKind.BLOCKLIST_CARD: _blocklist_card,
    RuleKind.BLOCKLIST_ADDRESS: _blocklist_address,
    RuleKind.AVS_FAIL: _check_failed(lambda f: f.avs, "Address verification (AVS) failed"),
    RuleKind.CVC_FAIL: _check_failed(lambda f: f.cvc, "Card security code check (CVC) failed"),
}


def screen(
    facts: FraudFacts, config: FraudConfig = DEFAULT_CONFIG, blocklist: Blocklist = EMPTY_BLOCKLIST
) -> Screening:
    """Score an order: apply every enabled rule in the configuration's order.

    Each rule that fires adds its points and one reason; the decision follows from the
    score and the configuration's thresholds, made at least as severe as the
    ``force_decision`` of any rule that fired.
    """
    reasons: list[Reason] = []
    for rule in config.rules:
        if not rule.enabled:
            continue
        hit = _EVALUATORS[rule.kind](_Check(rule, facts, config, blocklist))
        if hit is None:
            continue
        reasons.append(
            Reason(rule.kind, rule.points, hit.message, hit.details, rule.force_decision)
        )
    score = sum(reason.points for reason in reasons)
    decision = config.decide(score)
    for reason in reasons:
        forced = reason.force_decision
        if forced is not None and forced.severity > decision.severity:
            decision = forced
    return Screening(score, decision, reasons, config.review_at, config.reject_at)
