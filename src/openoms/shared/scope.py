"""The part of the business a user or token works for: some locations, some channels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """The locations and channels a caller works for; None means all of them.

    A caller limited to both sees what belongs to either: a store clerk limited to the
    Amsterdam store and its till sees the till's orders and the orders the store ships or
    hands over.
    """

    locations: frozenset[str] | None = None
    channels: frozenset[str] | None = None

    @classmethod
    def of(cls, locations: list[str] | None, channels: list[str] | None) -> Scope:
        """From stored lists, where null means no limit."""
        return cls(
            None if locations is None else frozenset(locations),
            None if channels is None else frozenset(channels),
        )

    @property
    def is_limited(self) -> bool:
        return self.locations is not None or self.channels is not None

    def sees_location(self, code: str | None) -> bool:
        return self.locations is None or (code is not None and code in self.locations)

    def sees_channel(self, code: str) -> bool:
        return self.channels is None or code in self.channels


EVERYWHERE = Scope()
