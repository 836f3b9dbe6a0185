"""Fraud screening: every rule at its boundary, scores, decisions, blocklists, configuration."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoms.payments.fraud import (
    DEFAULT_CONFIG,
    WINDOWED_KINDS,
    Blocklist,
    Decision,
    FraudConfig,
    FraudFacts,
    Reason,
    RuleConfig,
    RuleKind,
    normalise_address,
    screen,
)
from openoms.payments.model import CheckResult
from openoms.shared.errors import ValidationFailed

EMPTY = Blocklist()


def facts(**overrides: Any) -> FraudFacts:
    """A quiet order: a returning customer, nothing odd. Each test changes what it needs."""
    values: dict[str, Any] = {
        "total_minor": 10_000,
        "currency": "EUR",
        "email": "ann@example.com",
        "billing_country": "DE",
        "shipping_country": "DE",
        "shipping_address": "Hauptstraße 1, 10115 Berlin",
        "ip": "198.51.100.7",
        "device_id": "device-1",
        "card_fingerprint": "fp_ann",
        "avs": CheckResult.PASS,
        "cvc": CheckResult.PASS,
        "previous_orders": 5,
        "average_order_minor": 10_000,
        "orders_same_email": 1,
        "orders_same_card": 1,
        "orders_same_ip": 1,
        "orders_same_device": 1,
        "failed_authorizations": 0,
    }
    values.update(overrides)
    return FraudFacts(**values)


def only(kind: RuleKind, points: int = 10, **params: Any) -> FraudConfig:
    """A configuration with one rule, so a test sees that rule alone."""
    return FraudConfig(review_at=50, reject_at=100, rules=(RuleConfig(kind, points, **params),))


def errors_of(raised: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    """The errors by field; each field is reported once."""
    fields = [error.field for error in raised.value.errors]
    assert len(fields) == len(set(fields)), fields
    return {error.field: error.message for error in raised.value.errors}


def rule_dict(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": "velocity_email", "enabled": True, "points": 20}
    data["threshold"] = 3
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def config_dict(*rules: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"review_at": 50, "reject_at": 100, "window_minutes": 60}
    data["rules"] = list(rules)
    data.update(overrides)
    return data


# --- a quiet order ------------------------------------------------------------------------


def test_a_quiet_order_scores_nothing_and_is_accepted() -> None:
    result = screen(facts(), DEFAULT_CONFIG, EMPTY)

    assert result.score == 0
    assert result.decision is Decision.ACCEPT
    assert result.reasons == []
    assert not result.forced


# --- velocity rules -----------------------------------------------------------------------

VELOCITY = [
    (RuleKind.VELOCITY_EMAIL, "orders_same_email", "orders from this email"),
    (RuleKind.VELOCITY_CARD, "orders_same_card", "orders with this card"),
    (RuleKind.VELOCITY_IP, "orders_same_ip", "orders from this IP address"),
    (RuleKind.VELOCITY_DEVICE, "orders_same_device", "orders from this device"),
    (
        RuleKind.FAILED_AUTHORIZATIONS,
        "failed_authorizations",
        "failed payment authorizations for this email or card",
    ),
]


@pytest.mark.parametrize(("kind", "count_field", "phrase"), VELOCITY)
def test_a_count_rule_allows_its_threshold_and_fires_one_above(
    kind: RuleKind, count_field: str, phrase: str
) -> None:
    config = only(kind, points=20, threshold=2)

    at_limit = screen(facts(**{count_field: 2}), config, EMPTY)
    above = screen(facts(**{count_field: 3}), config, EMPTY)

    assert at_limit.score == 0
    assert at_limit.reasons == []
    assert above.score == 20
    assert above.reasons == [
        Reason(
            kind,
            20,
            f"3 {phrase} in the last 60 minutes (limit 2)",
            {"count": 3, "limit": 2, "window_minutes": 60},
        )
    ]


@pytest.mark.parametrize("kind", sorted(WINDOWED_KINDS))
def test_a_count_rule_names_its_own_window_or_the_default(kind: RuleKind) -> None:
    own = FraudConfig(
        review_at=50,
        reject_at=100,
        window_minutes=30,
        rules=(RuleConfig(kind, 10, threshold=0, window_minutes=15),),
    )
    default = FraudConfig(
        review_at=50, reject_at=100, window_minutes=30, rules=(RuleConfig(kind, 10, threshold=0),)
    )
    absent = FraudConfig(review_at=50, reject_at=100, window_minutes=45, rules=())

    assert own.window_for(kind) == 15
    assert default.window_for(kind) == 30
    assert absent.window_for(kind) == 45


def test_the_message_names_the_rules_window() -> None:
    config = only(RuleKind.VELOCITY_EMAIL, threshold=2, window_minutes=15)

    result = screen(facts(orders_same_email=3), config, EMPTY)

    assert result.reasons[0].message == "3 orders from this email in the last 15 minutes (limit 2)"


def test_one_event_reads_in_the_singular() -> None:
    config = only(RuleKind.FAILED_AUTHORIZATIONS, threshold=0)

    result = screen(facts(failed_authorizations=1), config, EMPTY)

    assert result.reasons[0].message == (
        "1 failed payment authorization for this email or card in the last 60 minutes (limit 0)"
    )


def test_window_for_refuses_a_rule_that_counts_nothing() -> None:
    with pytest.raises(ValueError, match="counts nothing"):
        DEFAULT_CONFIG.window_for(RuleKind.AVS_FAIL)


@pytest.mark.parametrize(
    ("kind", "count_field", "missing"),
    [
        (RuleKind.VELOCITY_CARD, "orders_same_card", "card_fingerprint"),
        (RuleKind.VELOCITY_IP, "orders_same_ip", "ip"),
        (RuleKind.VELOCITY_DEVICE, "orders_same_device", "device_id"),
    ],
)
def test_a_velocity_rule_without_its_identifier_does_not_fire(
    kind: RuleKind, count_field: str, missing: str
) -> None:
    config = only(kind, threshold=1)

    result = screen(facts(**{count_field: 9, missing: None}), config, EMPTY)

    assert result.reasons == []


# --- countries, history, first order -------------------------------------------------------


def test_billing_and_shipping_in_different_countries_fires() -> None:
    config = only(RuleKind.COUNTRY_MISMATCH, points=15)

    result = screen(facts(billing_country="DE", shipping_country="NG"), config, EMPTY)

    assert result.score == 15
    assert result.reasons[0].message == "Billing country DE differs from shipping country NG"
    assert result.reasons[0].details == {"billing_country": "DE", "shipping_country": "NG"}


@pytest.mark.parametrize(
    ("billing", "shipping"), [("DE", "DE"), ("de", "DE"), ("DE", None), (None, "NG")]
)
def test_same_country_pickup_or_no_billing_country_does_not_fire(
    billing: str | None, shipping: str | None
) -> None:
    config = only(RuleKind.COUNTRY_MISMATCH)

    result = screen(facts(billing_country=billing, shipping_country=shipping), config, EMPTY)

    assert result.reasons == []


def test_high_value_fires_just_above_factor_times_the_average() -> None:
    config = only(RuleKind.HIGH_VALUE_VS_HISTORY, points=20, factor=Decimal(3), min_orders=3)
    history = {"previous_orders": 3, "average_order_minor": 10_000}

    at_limit = screen(facts(total_minor=30_000, **history), config, EMPTY)
    above = screen(facts(total_minor=30_001, **history), config, EMPTY)

    assert at_limit.reasons == []
    assert above.score == 20
    assert above.reasons[0].message == (
        "Order total 300.01 EUR is more than 3 times this customer's average order of "
        "100.00 EUR (over 3 previous orders)"
    )


def test_a_fractional_factor_is_compared_exactly() -> None:
    config = only(RuleKind.HIGH_VALUE_VS_HISTORY, factor=Decimal("2.5"), min_orders=1)
    history = {"previous_orders": 1, "average_order_minor": 333}

    at_limit = screen(facts(total_minor=832, **history), config, EMPTY)  # 2.5 x 333 = 832.5
    above = screen(facts(total_minor=833, **history), config, EMPTY)

    assert at_limit.reasons == []
    assert [r.kind for r in above.reasons] == [RuleKind.HIGH_VALUE_VS_HISTORY]
    assert "more than 2.5 times" in above.reasons[0].message
    assert "(over 1 previous order)" in above.reasons[0].message


@pytest.mark.parametrize(
    ("previous", "average"), [(2, 10_000), (3, None)], ids=["short history", "no average"]
)
def test_high_value_needs_enough_history(previous: int, average: int | None) -> None:
    config = only(RuleKind.HIGH_VALUE_VS_HISTORY, factor=Decimal(3), min_orders=3)

    result = screen(
        facts(total_minor=1_000_000, previous_orders=previous, average_order_minor=average),
        config,
        EMPTY,
    )

    assert result.reasons == []


def test_a_first_order_above_the_amount_fires() -> None:
    config = only(RuleKind.FIRST_ORDER_HIGH_VALUE, points=15, amount_minor=50_000)
    first = {"previous_orders": 0, "average_order_minor": None}

    at_limit = screen(facts(total_minor=50_000, **first), config, EMPTY)
    above = screen(facts(total_minor=50_001, **first), config, EMPTY)

    assert at_limit.reasons == []
    assert above.score == 15
    assert above.reasons[0].message == (
        "First order from this customer: total 500.01 EUR is above 500.00 EUR"
    )


def test_a_returning_customers_large_order_is_not_a_first_order() -> None:
    config = only(RuleKind.FIRST_ORDER_HIGH_VALUE, amount_minor=50_000)

    result = screen(facts(total_minor=5_000_000, previous_orders=1), config, EMPTY)

    assert result.reasons == []


def test_amounts_are_shown_with_the_currencys_decimals() -> None:
    config = only(RuleKind.FIRST_ORDER_HIGH_VALUE, amount_minor=50_000)

    result = screen(facts(currency="JPY", total_minor=50_001, previous_orders=0), config, EMPTY)

    assert result.reasons[0].message == (
        "First order from this customer: total 50001 JPY is above 50000 JPY"
    )


# --- issuer checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field_name", "message"),
    [
        (RuleKind.AVS_FAIL, "avs", "Address verification (AVS) failed"),
        (RuleKind.CVC_FAIL, "cvc", "Card security code check (CVC) failed"),
    ],
)
def test_a_failed_issuer_check_fires_and_nothing_else_does(
    kind: RuleKind, field_name: str, message: str
) -> None:
    config = only(kind, points=30)

    failed = screen(facts(**{field_name: CheckResult.FAIL}), config, EMPTY)
    others = [
        screen(facts(**{field_name: result}), config, EMPTY)
        for result in (CheckResult.PASS, CheckResult.UNAVAILABLE, None)
    ]

    assert failed.score == 30
    assert failed.reasons[0].message == message
    assert all(other.reasons == [] for other in others)


# --- blocklists ---------------------------------------------------------------------------


def test_a_blocked_email_matches_whatever_its_case() -> None:
    config = only(RuleKind.BLOCKLIST_EMAIL, points=100)
    blocklist = Blocklist(emails=frozenset({"  Ann@Example.COM "}))

    hit = screen(facts(email="ANN@example.com"), config, blocklist)
    miss = screen(facts(email="anna@example.com"), config, blocklist)

    assert blocklist.emails == frozenset({"ann@example.com"})
    assert hit.score == 100
    assert hit.reasons[0].message == "Email ann@example.com is on the blocklist"
    assert miss.reasons == []


def test_a_blocked_domain_matches_every_address_of_that_domain_only() -> None:
    blocklist = Blocklist(emails=frozenset({"@Example.com"}))

    assert blocklist.match_email("bob@EXAMPLE.com") == "@example.com"
    assert blocklist.match_email("bob@mail.example.com") is None
    assert blocklist.match_email("bob@example.com.evil") is None
    assert blocklist.match_email("example.com") is None
    result = screen(facts(email="bob@example.com"), only(RuleKind.BLOCKLIST_EMAIL), blocklist)
    assert result.reasons[0].message == "Email domain @example.com is on the blocklist"


def test_a_blocked_ip_matches_exactly_or_by_network() -> None:
    blocklist = Blocklist(ips=frozenset({"203.0.113.9", "198.51.100.0/24", "2001:db8::/32"}))

    assert blocklist.match_ip("203.0.113.9") == "203.0.113.9"
    assert blocklist.match_ip("203.0.113.10") is None
    assert blocklist.match_ip("198.51.100.0") == "198.51.100.0/24"
    assert blocklist.match_ip("198.51.100.255") == "198.51.100.0/24"
    assert blocklist.match_ip("198.51.101.0") is None
    assert blocklist.match_ip("2001:db8::1") == "2001:db8::/32"
    assert blocklist.match_ip("2001:db9::1") is None
    assert blocklist.match_ip("::ffff:198.51.100.7") == "198.51.100.0/24"
    assert blocklist.match_ip("not an ip") is None


def test_the_ip_reason_says_whether_the_address_or_its_network_is_blocked() -> None:
    config = only(RuleKind.BLOCKLIST_IP, points=100)
    blocklist = Blocklist(ips=frozenset({"203.0.113.9", "198.51.100.0/24"}))

    exact = screen(facts(ip="203.0.113.9"), config, blocklist)
    network = screen(facts(ip="198.51.100.7"), config, blocklist)
    no_ip = screen(facts(ip=None), config, blocklist)

    assert exact.reasons[0].message == "IP address 203.0.113.9 is on the blocklist"
    assert network.reasons[0].message == (
        "IP address 198.51.100.7 is in the blocked network 198.51.100.0/24"
    )
    assert no_ip.reasons == []


def test_a_blocked_card_fingerprint_fires() -> None:
    config = only(RuleKind.BLOCKLIST_CARD, points=100)
    blocklist = Blocklist(card_fingerprints=frozenset({"fp_stolen"}))

    hit = screen(facts(card_fingerprint="fp_stolen"), config, blocklist)
    other = screen(facts(card_fingerprint="fp_ann"), config, blocklist)
    wallet = screen(facts(card_fingerprint=None), config, blocklist)

    assert hit.reasons[0].message == "Card with fingerprint fp_stolen is on the blocklist"
    assert other.reasons == []
    assert wallet.reasons == []


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("12, Main St.", "12 main st"),
        ("  12   MAIN\tst ", "12 main st"),
        ("Flat 3/B - 12 Main-St.", "flat 3 b 12 main st"),
        ("Hauptstraße 1", "hauptstrasse 1"),
        ("Ｍａｉｎ　Ｓｔ", "main st"),
    ],
)
def test_addresses_are_normalised_for_matching(text: str, normal: str) -> None:
    assert normalise_address(text) == normal


def test_a_blocked_address_matches_whatever_its_punctuation_and_case() -> None:
    config = only(RuleKind.BLOCKLIST_ADDRESS, points=50)
    blocklist = Blocklist(addresses=frozenset({"Hauptstraße 1, 10115 Berlin"}))

    hit = screen(facts(shipping_address="HAUPTSTRASSE 1 -- 10115   berlin."), config, blocklist)
    other = screen(facts(shipping_address="Hauptstraße 10, 10115 Berlin"), config, blocklist)
    pickup = screen(facts(shipping_address=None, shipping_country=None), config, blocklist)

    assert hit.reasons[0].message == "Shipping address is on the blocklist"
    assert hit.reasons[0].details == {"entry": "hauptstrasse 1 10115 berlin"}
    assert other.reasons == []
    assert pickup.reasons == []


@pytest.mark.parametrize(
    ("entries", "field_name"),
    [
        ({"emails": frozenset({"no-at-sign"})}, "emails"),
        ({"emails": frozenset({"@"})}, "emails"),
        ({"emails": frozenset({"a@b@c"})}, "emails"),
        ({"ips": frozenset({"10.0.0.1/8"})}, "ips"),
        ({"ips": frozenset({"nonsense"})}, "ips"),
        ({"card_fingerprints": frozenset({"  "})}, "card_fingerprints"),
        ({"addresses": frozenset({"-- , --"})}, "addresses"),
    ],
)
def test_invalid_blocklist_entries_are_refused(entries: dict[str, Any], field_name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        Blocklist(**entries)

    assert list(errors_of(raised)) == [field_name]


# --- rules together -----------------------------------------------------------------------


def test_scores_add_up_and_reasons_follow_the_rules_order() -> None:
    risky = facts(
        previous_orders=0,
        average_order_minor=None,
        total_minor=60_000,
        shipping_country="NG",
        avs=CheckResult.FAIL,
    )

    result = screen(risky, DEFAULT_CONFIG, EMPTY)

    assert [(r.kind, r.points) for r in result.reasons] == [
        (RuleKind.COUNTRY_MISMATCH, 15),
        (RuleKind.FIRST_ORDER_HIGH_VALUE, 15),
        (RuleKind.AVS_FAIL, 20),
    ]
    assert result.score == 50
    assert result.decision is Decision.REVIEW  # exactly at review_at


@pytest.mark.parametrize(
    ("score", "decision"),
    [
        (0, Decision.ACCEPT),
        (29, Decision.ACCEPT),
        (30, Decision.REVIEW),
        (59, Decision.REVIEW),
        (60, Decision.REJECT),
        (1000, Decision.REJECT),
    ],
)
def test_the_decision_changes_exactly_at_the_thresholds(score: int, decision: Decision) -> None:
    config = FraudConfig(
        review_at=30,
        reject_at=60,
        rules=(
            RuleConfig(RuleKind.AVS_FAIL, points=score),
            RuleConfig(RuleKind.CVC_FAIL, points=0),
        ),
    )

    result = screen(facts(avs=CheckResult.FAIL, cvc=CheckResult.FAIL), config, EMPTY)

    assert config.decide(score) is decision
    assert result.score == score
    assert result.decision is decision
    assert len(result.reasons) == 2  # a rule worth 0 points still explains itself


def test_equal_thresholds_never_review() -> None:
    config = FraudConfig(review_at=40, reject_at=40, rules=())

    assert config.decide(39) is Decision.ACCEPT
    assert config.decide(40) is Decision.REJECT


def test_a_disabled_rule_adds_nothing_and_the_others_still_apply() -> None:
    rules = tuple(
        replace(rule, enabled=False) if rule.kind is RuleKind.AVS_FAIL else rule
        for rule in DEFAULT_CONFIG.rules
    )
    config = replace(DEFAULT_CONFIG, rules=rules)

    result = screen(facts(avs=CheckResult.FAIL, cvc=CheckResult.FAIL), config, EMPTY)

    assert [r.kind for r in result.reasons] == [RuleKind.CVC_FAIL]
    assert result.score == 30


def test_a_kind_absent_from_the_configuration_is_not_applied() -> None:
    config = only(RuleKind.CVC_FAIL)

    result = screen(facts(avs=CheckResult.FAIL, shipping_country="NG"), config, EMPTY)

    assert result.reasons == []


# --- forced decisions ---------------------------------------------------------------------


def test_a_blocklist_hit_can_force_reject_whatever_the_score() -> None:
    config = FraudConfig(
        review_at=50,
        reject_at=100,
        rules=(RuleConfig(RuleKind.BLOCKLIST_CARD, points=1, force_decision=Decision.REJECT),),
    )
    blocklist = Blocklist(card_fingerprints=frozenset({"fp_ann"}))

    result = screen(facts(), config, blocklist)

    assert result.score == 1
    assert result.decision is Decision.REJECT
    assert result.forced
    assert result.reasons[0].force_decision is Decision.REJECT


def test_a_forced_decision_is_a_floor_never_a_ceiling() -> None:
    config = FraudConfig(
        review_at=10,
        reject_at=20,
        rules=(
            RuleConfig(RuleKind.BLOCKLIST_ADDRESS, points=5, force_decision=Decision.REVIEW),
            RuleConfig(RuleKind.CVC_FAIL, points=30),
        ),
    )
    blocklist = Blocklist(addresses=frozenset({"Hauptstraße 1, 10115 Berlin"}))

    forced_up = screen(facts(), config, blocklist)
    above_it = screen(facts(cvc=CheckResult.FAIL), config, blocklist)

    assert (forced_up.score, forced_up.decision, forced_up.forced) == (5, Decision.REVIEW, True)
    assert (above_it.score, above_it.decision, above_it.forced) == (35, Decision.REJECT, False)


def test_a_forcing_rule_that_does_not_fire_forces_nothing() -> None:
    result = screen(facts(), DEFAULT_CONFIG, Blocklist(card_fingerprints=frozenset({"fp_x"})))

    assert result.decision is Decision.ACCEPT


def test_the_default_blocklist_rules_reject_outright() -> None:
    blocklist = Blocklist(emails=frozenset({"ann@example.com"}))

    result = screen(facts(), DEFAULT_CONFIG, blocklist)

    assert result.decision is Decision.REJECT


def test_the_screening_is_stored_as_plain_data() -> None:
    config = FraudConfig(
        review_at=50,
        reject_at=100,
        rules=(
            RuleConfig(RuleKind.VELOCITY_EMAIL, points=20, threshold=2),
            RuleConfig(RuleKind.BLOCKLIST_IP, points=40, force_decision=Decision.REJECT),
        ),
    )
    blocklist = Blocklist(ips=frozenset({"198.51.100.7"}))

    data = screen(facts(orders_same_email=3), config, blocklist).to_dict()

    assert data == {
        "score": 60,
        "decision": "reject",
        "review_at": 50,
        "reject_at": 100,
        "reasons": [
            {
                "kind": "velocity_email",
                "points": 20,
                "message": "3 orders from this email in the last 60 minutes (limit 2)",
                "details": {"count": 3, "limit": 2, "window_minutes": 60},
                "force_decision": None,
            },
            {
                "kind": "blocklist_ip",
                "points": 40,
                "message": "IP address 198.51.100.7 is on the blocklist",
                "details": {"ip": "198.51.100.7", "entry": "198.51.100.7"},
                "force_decision": "reject",
            },
        ],
    }
    assert json.loads(json.dumps(data)) == data


# --- facts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"total_minor": -1}, "total_minor"),
        ({"orders_same_ip": -1}, "orders_same_ip"),
        ({"previous_orders": True}, "previous_orders"),
        ({"average_order_minor": -5}, "average_order_minor"),
        ({"currency": "XXX"}, "currency"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"billing_country": "Germany"}, "billing_country"),
        ({"shipping_country": "N1"}, "shipping_country"),
    ],
)
def test_impossible_facts_are_refused(overrides: dict[str, Any], field_name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        facts(**overrides)

    assert list(errors_of(raised)) == [field_name]


# --- configuration ------------------------------------------------------------------------


def test_the_default_configuration_survives_a_json_round_trip() -> None:
    stored = json.dumps(DEFAULT_CONFIG.to_dict())

    assert FraudConfig.from_dict(json.loads(stored)) == DEFAULT_CONFIG


def test_the_dict_format_of_the_configuration() -> None:
    data = DEFAULT_CONFIG.to_dict()

    assert (data["review_at"], data["reject_at"], data["window_minutes"]) == (50, 100, 60)
    assert [rule["kind"] for rule in data["rules"]] == [kind.value for kind in RuleKind]
    by_kind = {rule["kind"]: rule for rule in data["rules"]}
    assert by_kind["velocity_email"] == {
        "kind": "velocity_email",
        "enabled": True,
        "points": 20,
        "threshold": 3,
    }
    assert by_kind["high_value_vs_history"] == {
        "kind": "high_value_vs_history",
        "enabled": True,
        "points": 20,
        "factor": "3",
        "min_orders": 3,
    }
    assert by_kind["blocklist_card"] == {
        "kind": "blocklist_card",
        "enabled": True,
        "points": 100,
        "force_decision": "reject",
    }


@pytest.mark.parametrize("factor", [2.5, "2.5", "2.50", Decimal("2.5")])
def test_a_factor_may_be_a_number_or_a_decimal_string(factor: object) -> None:
    rule = RuleConfig.from_dict(
        {"kind": "high_value_vs_history", "points": 5, "factor": factor, "min_orders": 2}
    )

    assert rule.factor == Decimal("2.5")
    assert rule.to_dict()["factor"] == "2.5"


def test_optional_settings_take_their_defaults() -> None:
    config = FraudConfig.from_dict(
        {"review_at": 10, "reject_at": 20, "rules": [{"kind": "avs_fail", "points": 5}]}
    )

    assert config.window_minutes == 60
    assert config.rules == (RuleConfig(RuleKind.AVS_FAIL, 5, enabled=True),)


def test_a_rules_own_window_survives_the_round_trip() -> None:
    data = config_dict(rule_dict(window_minutes=15))

    config = FraudConfig.from_dict(data)

    assert config.window_for(RuleKind.VELOCITY_EMAIL) == 15
    assert config.to_dict() == data


@pytest.mark.parametrize(
    ("data", "field_name", "fragment"),
    [
        (config_dict(rule_dict(kind="velocity_phone")), "rules[0].kind", "not a rule kind"),
        (config_dict(rule_dict(kind=None)), "rules[0].kind", "is required"),
        (config_dict(["not", "a", "rule"]), "rules[0]", "must be an object"),
        (config_dict(rule_dict(points=-1)), "rules[0].points", "at least 0"),
        (config_dict(rule_dict(points=None)), "rules[0].points", "is required"),
        (config_dict(rule_dict(points="20")), "rules[0].points", "whole number"),
        (config_dict(rule_dict(points=True)), "rules[0].points", "whole number"),
        (config_dict(rule_dict(points=2.5)), "rules[0].points", "whole number"),
        (config_dict(rule_dict(enabled="yes")), "rules[0].enabled", "true or false"),
        (config_dict(rule_dict(colour="red")), "rules[0].colour", "not a parameter"),
        (config_dict(rule_dict(factor=3)), "rules[0].factor", "not a parameter"),
        (config_dict(rule_dict(threshold=None)), "rules[0].threshold", "is required"),
        (config_dict(rule_dict(threshold=-1)), "rules[0].threshold", "at least 0"),
        (config_dict(rule_dict(window_minutes=0)), "rules[0].window_minutes", "at least 1"),
        (
            config_dict(rule_dict(force_decision="accept")),
            "rules[0].force_decision",
            "'review' or 'reject'",
        ),
        (
            config_dict(rule_dict(force_decision="maybe")),
            "rules[0].force_decision",
            "'review' or 'reject'",
        ),
        (
            config_dict({"kind": "high_value_vs_history", "points": 1, "min_orders": 1}),
            "rules[0].factor",
            "is required",
        ),
        (
            config_dict(
                {"kind": "high_value_vs_history", "points": 1, "factor": 0, "min_orders": 1}
            ),
            "rules[0].factor",
            "above 0",
        ),
        (
            config_dict(
                {"kind": "high_value_vs_history", "points": 1, "factor": "x", "min_orders": 1}
            ),
            "rules[0].factor",
            "decimal string",
        ),
        (
            config_dict(
                {"kind": "high_value_vs_history", "points": 1, "factor": "NaN", "min_orders": 1}
            ),
            "rules[0].factor",
            "decimal string",
        ),
        (
            config_dict(
                {"kind": "high_value_vs_history", "points": 1, "factor": True, "min_orders": 1}
            ),
            "rules[0].factor",
            "decimal string",
        ),
        (
            config_dict(
                {"kind": "high_value_vs_history", "points": 1, "factor": 2, "min_orders": 0}
            ),
            "rules[0].min_orders",
            "at least 1",
        ),
        (
            config_dict({"kind": "first_order_high_value", "points": 1, "amount_minor": -1}),
            "rules[0].amount_minor",
            "at least 0",
        ),
        (
            config_dict({"kind": "first_order_high_value", "points": 1}),
            "rules[0].amount_minor",
            "is required",
        ),
        (
            config_dict({"kind": "avs_fail", "points": 1, "threshold": 2}),
            "rules[0].threshold",
            "not a parameter of rule kind 'avs_fail'",
        ),
        (
            config_dict(rule_dict(), rule_dict(points=5)),
            "rules[1].kind",
            "more than once (first at rules[0])",
        ),
        (config_dict(review_at=101), "review_at", "must not be above reject_at (101 > 100)"),
        (config_dict(review_at=-1), "review_at", "at least 0"),
        (config_dict(reject_at=None), "reject_at", "is required"),
        (config_dict(reject_at="100"), "reject_at", "whole number"),
        (config_dict(window_minutes=0), "window_minutes", "at least 1"),
        (config_dict(rules=None), "rules", "is required"),
        (config_dict(rules={"kind": "avs_fail"}), "rules", "must be a list"),
        (config_dict(channel="web"), "channel", "not a setting"),
    ],
)
def test_every_invalid_configuration_is_refused_at_its_field(
    data: dict[str, Any], field_name: str, fragment: str
) -> None:
    data = {key: value for key, value in data.items() if value is not None}

    with pytest.raises(ValidationFailed) as raised:
        FraudConfig.from_dict(data)

    errors = errors_of(raised)
    assert list(errors) == [field_name]
    assert fragment in errors[field_name]


def test_every_problem_is_reported_at_once() -> None:
    data = config_dict(
        rule_dict(points=-5, colour="red"),
        {"kind": "nope", "points": 1},
        rule_dict(threshold=-1),
        {"kind": "cvc_fail", "points": 1, "force_decision": "accept"},
        review_at=200,
        window_minutes=0,
    )

    with pytest.raises(ValidationFailed) as raised:
        FraudConfig.from_dict(data)

    assert [(e.field, e.message) for e in raised.value.errors] == [
        ("rules[0].colour", "is not a parameter of rule kind 'velocity_email'"),
        ("rules[0].points", "must be at least 0, got -5"),
        ("rules[1].kind", raised.value.errors[2].message),
        ("rules[2].threshold", "must be at least 0, got -1"),
        ("rules[3].force_decision", "must be 'review' or 'reject' when set, got 'accept'"),
        ("window_minutes", "must be at least 1, got 0"),
        ("review_at", "must not be above reject_at (200 > 100)"),
        ("rules[2].kind", "rule kind 'velocity_email' appears more than once (first at rules[0])"),
    ]
    assert raised.value.errors[2].message.startswith("'nope' is not a rule kind")


def test_a_configuration_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        FraudConfig.from_dict(["review_at", 50])  # type: ignore[arg-type]


def test_rules_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationFailed) as negative:
        RuleConfig(RuleKind.AVS_FAIL, points=-1)
    with pytest.raises(ValidationFailed) as missing:
        RuleConfig(RuleKind.VELOCITY_IP, points=1)
    with pytest.raises(ValidationFailed) as foreign:
        RuleConfig(RuleKind.CVC_FAIL, points=1, amount_minor=5)
    with pytest.raises(ValidationFailed) as thresholds:
        FraudConfig(review_at=60, reject_at=50, rules=())

    assert list(errors_of(negative)) == ["points"]
    assert list(errors_of(missing)) == ["threshold"]
    assert list(errors_of(foreign)) == ["amount_minor"]
    assert list(errors_of(thresholds)) == ["review_at"]


# --- properties -----------------------------------------------------------------------------


def rule_for(kind: RuleKind) -> st.SearchStrategy[RuleConfig]:
    params: dict[str, st.SearchStrategy[Any]] = {}
    if kind in WINDOWED_KINDS:
        params["threshold"] = st.integers(0, 4)
        params["window_minutes"] = st.none() | st.integers(1, 120)
    if kind is RuleKind.HIGH_VALUE_VS_HISTORY:
        params["factor"] = st.decimals(Decimal("0.5"), Decimal(5), places=2)
        params["min_orders"] = st.integers(1, 4)
    if kind is RuleKind.FIRST_ORDER_HIGH_VALUE:
        params["amount_minor"] = st.integers(0, 100_000)
    return st.builds(
        RuleConfig,
        kind=st.just(kind),
        points=st.integers(0, 120),
        enabled=st.booleans(),
        force_decision=st.none() | st.sampled_from([Decision.REVIEW, Decision.REJECT]),
        **params,
    )


@st.composite
def configs(draw: st.DrawFn) -> FraudConfig:
    kinds = draw(st.lists(st.sampled_from(list(RuleKind)), unique=True))
    rules = tuple(draw(rule_for(kind)) for kind in kinds)
    review_at = draw(st.integers(0, 200))
    reject_at = review_at + draw(st.integers(0, 200))
    window = draw(st.integers(1, 240))
    return FraudConfig(review_at=review_at, reject_at=reject_at, rules=rules, window_minutes=window)


counts = st.integers(0, 6)
checks = st.none() | st.sampled_from(list(CheckResult))
any_facts = st.builds(
    FraudFacts,
    total_minor=st.integers(0, 200_000),
    currency=st.just("EUR"),
    email=st.sampled_from(["ann@example.com", "BOB@bad.test", "eve@shady.test"]),
    billing_country=st.none() | st.sampled_from(["DE", "NG", "FR"]),
    shipping_country=st.none() | st.sampled_from(["DE", "NG", "FR"]),
    shipping_address=st.none() | st.sampled_from(["1 Drop Lane", "12 Main St", "1, drop-lane"]),
    ip=st.none() | st.sampled_from(["203.0.113.5", "198.51.100.7", "2001:db8::1"]),
    device_id=st.none() | st.just("device-1"),
    card_fingerprint=st.none() | st.sampled_from(["fp_ok", "fp_stolen"]),
    avs=checks,
    cvc=checks,
    previous_orders=counts,
    average_order_minor=st.none() | st.integers(0, 50_000),
    orders_same_email=counts,
    orders_same_card=counts,
    orders_same_ip=counts,
    orders_same_device=counts,
    failed_authorizations=counts,
)
SOME_BLOCKLIST = Blocklist(
    emails=frozenset({"eve@shady.test", "@bad.test"}),
    ips=frozenset({"203.0.113.0/24"}),
    card_fingerprints=frozenset({"fp_stolen"}),
    addresses=frozenset({"1 Drop Lane"}),
)


@given(any_facts, configs())
def test_the_score_is_the_sum_of_the_reasons_and_the_decision_follows(
    order: FraudFacts, config: FraudConfig
) -> None:
    result = screen(order, config, SOME_BLOCKLIST)

    assert result.score == sum(reason.points for reason in result.reasons)
    enabled = [rule.kind for rule in config.rules if rule.enabled]
    fired = [reason.kind for reason in result.reasons]
    assert fired == [kind for kind in enabled if kind in fired]  # once each, in config order
    forced = [r.force_decision for r in result.reasons if r.force_decision is not None]
    expected = max([config.decide(result.score), *forced], key=lambda d: d.severity)
    assert result.decision is expected
    assert result.decision.severity >= config.decide(result.score).severity


@given(configs(), st.integers(0, 500), st.integers(0, 500))
def test_the_decision_never_softens_as_the_score_grows(
    config: FraudConfig, first: int, second: int
) -> None:
    low, high = sorted((first, second))

    assert config.decide(low).severity <= config.decide(high).severity


@given(any_facts, configs(), st.data())
def test_more_points_on_a_rule_never_soften_the_decision(
    order: FraudFacts, config: FraudConfig, data: st.DataObject
) -> None:
    if not config.rules:
        return
    index = data.draw(st.integers(0, len(config.rules) - 1))
    extra = data.draw(st.integers(1, 200))
    rules = list(config.rules)
    rules[index] = replace(rules[index], points=rules[index].points + extra)
    heavier = replace(config, rules=tuple(rules))

    before = screen(order, config, SOME_BLOCKLIST)
    after = screen(order, heavier, SOME_BLOCKLIST)

    assert after.score >= before.score
    assert after.decision.severity >= before.decision.severity


@given(configs())
def test_every_valid_configuration_survives_a_json_round_trip(config: FraudConfig) -> None:
    assert FraudConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
