"""Domain events: facts recorded by the domain, written to the outbox at commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openoms.shared import clock


@dataclass(frozen=True)
class Event:
    """An event name (``inventory.low_stock``), its JSON-able payload and identity."""

    name: str
    payload: dict[str, Any]
    aggregate: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=clock.now)
