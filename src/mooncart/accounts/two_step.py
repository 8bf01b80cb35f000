"""Two-step sign-in: a six-digit code from an authenticator app (TOTP, RFC 6238, with pyotp),
or one of ten one-time recovery codes. Pure rules; the SQL is in queries.py, the pages in routes.py."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from markupsafe import Markup

ISSUER = "Mooncart"
RECOVERY_CODES = 10
# codes from the step before and after the current one are accepted: a phone's clock may be off
# by up to 30 seconds, and a code typed just as it changes still works
CLOCK_DRIFT_STEPS = 1
PENDING_LOGIN_SECONDS = 300  # between the password and the code
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    """A fresh random TOTP secret for an authenticator app."""
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI the QR code carries, so an app can add the account in one scan."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (drawn here: no script, no image request)."""
    # omitsize: a viewBox instead of a fixed width, so the stylesheet can shrink it to a small
    # phone without cutting off its edge (a clipped QR code does not scan)
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#1d1d1f", light="#ffffff", border=3, omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-label" ', 1))  # nosec B704 # segno's own SVG, no user text


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_code(text: str | None) -> str:
    """What was typed, without the spaces and dashes people add; lower case."""
    return re.sub(r"[\s\-]", "", (text or "")[:64]).lower()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step whose code this is (within the allowed drift), or None."""
    if not re.fullmatch(r"[0-9]{6}", code):  # not \d: that matches other scripts' digits too
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like "k7fq-3mzr-x2bd" (60 bits each)."""
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_code_hash(code: str) -> str:
    """SHA-256 is enough for random 60-bit codes (nothing to guess from a dictionary)."""
    return hashlib.sha256(clean_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """Whether typed text has a recovery code's shape, so it is checked as one instead of as an app code."""
    return len(code) == 12 and all(c in _RECOVERY_ALPHABET for c in code)
