"""Passwords: Argon2id hashes, a constant-cost check whether or not the account exists, and a floor on new passwords.

The common-password list is zxcvbn's (the 30,000 most frequent passwords of public leaks, ranked), so it is
maintained upstream instead of in this repository.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.i18n import _l

MIN_LENGTH = 12
hasher = PasswordHasher()  # Argon2id with the library's current parameters


class WeakPassword(ValueError):
    """The new password is refused; the message says why, in words for the person choosing it."""


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    check_new_password(password)
    return hasher.hash(password)


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_l("the password must be at least %(num)d characters long", num=MIN_LENGTH))
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise WeakPassword(_l("this password is among the most common ones in leaked password lists; choose another"))


def verify(password_hash: str | None, password: str) -> bool:
    """True when the password matches. With no hash (unknown or inactive account), verify against a dummy one anyway:
    answering in 19 ms instead of 300 ms would tell an attacker which emails have accounts."""
    try:
        hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)
