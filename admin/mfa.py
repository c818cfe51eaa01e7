"""The second factor: TOTP (RFC 6238, 30-s steps, 6 digits) and one-use recovery codes.

A code is accepted once: the last accepted step is stored, and moving past it is one conditional UPDATE, so two
requests racing with the same code cannot both win. Recovery codes are random (80 bits), shown once, and kept as
SHA-256 digests. Time comes from `clock()` so tests set it instead of racing the 30-s window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from service.extensions import DbSession
from service.models import RecoveryCode, User
from service.timeutil import utcnow

RECOVERY_CODES = 10
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
DRIFT_STEPS = 1  # accept the previous and next 30-s step too: phone clocks drift


def clock() -> datetime:
    return utcnow()


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG: no script, no request to another origin, fits the panel's CSP."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff"))


def _digits(code: str) -> str:
    return "".join(code.split())


def verify_totp(session: DbSession, user: User, code: str, now: datetime) -> bool:
    """True for a current code (±1 step) newer than the last one this account used; records its step."""
    code = _digits(code)
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = session.execute(
                update(User)
                .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
                return False  # this code (or a later one) was already used: a replay
            set_committed_value(user, "totp_last_step", step)
            return True
    return False


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes(session: DbSession, user: User) -> list[str]:
    """Replace the account's recovery codes; the plain codes are returned to be shown once, never stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(BASE32) for _ in range(16))  # 16 base32 characters: 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(user_id=user.id, digest=_digest(raw)))
    return codes


def use_recovery_code(session: DbSession, user: User, code: str, now: datetime) -> bool:
    if len(_normalise(code)) != 16:
        return False
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.digest == _digest(code), RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result


def check_code(session: DbSession, user: User, code: str, now: datetime) -> str | None:
    """Which kind of code signed the user in ("totp" or "recovery"), or None."""
    if verify_totp(session, user, code, now):
        return "totp"
    if use_recovery_code(session, user, code, now):
        return "recovery"
    return None


def enable(session: DbSession, user: User, now: datetime) -> list[str]:
    user.totp_enabled_at = now
    return new_recovery_codes(session, user)


def reset(session: DbSession, user: User) -> None:
    """Forget the second factor (a lost phone): the next sign-in enrols again; every open session ends."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.session_version = (user.session_version or 0) + 1
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remaining_recovery_codes(session: DbSession, user: User) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalar_one()
    )


def secret_groups(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
