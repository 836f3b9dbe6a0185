"""Opaque keyset cursors: the client hands back what it was given, nothing more."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from openoms.shared.errors import ValidationFailed


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed.single(
            "cursor", "the cursor is not one this server issued"
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed.single("cursor", "the cursor is not one this server issued")
    return value
