"""Password hashing (argon2id, the library's defaults) and the password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openoms.shared.errors import FieldError

_hasher = PasswordHasher()  # argon2id
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def password_errors(password: str, *, email: str, min_length: int, field: str) -> list[FieldError]:
    """The rules a new password breaks: long enough, not the email, not one character."""
    errors = []
    if len(password) < min_length:
        errors.append(FieldError(field, f"use at least {min_length} characters"))
    elif password.strip().lower() == email.strip().lower():
        errors.append(FieldError(field, "must not be the email address"))
    elif len(set(password)) < 4:
        errors.append(FieldError(field, "use more different characters"))
    if len(password) > 1024:
        errors.append(FieldError(field, "use at most 1024 characters"))
    return errors
