"""A postal address as its JSON column stores it."""

from dataclasses import asdict

from openoms.customers.model import PostalAddress


def test_as_dict_gives_every_field_as_asdict_does_and_a_copy() -> None:
    address = PostalAddress(
        name="Ann Buyer", line1="Oudegracht 1", city="Utrecht", country="NL", latitude=52.09
    )
    stored = address.as_dict()
    assert stored == asdict(address)
    stored["city"] = "Amsterdam"
    assert address.city == "Utrecht"
