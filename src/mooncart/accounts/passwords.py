"""Password rules and hashing. argon2id with at least OWASP's parameters (m=19 MiB, t=2, p=1),
run in a worker thread: ~50-200 ms of CPU must never block the event loop."""

from __future__ import annotations

import asyncio
import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128  # long enough for any passphrase, short enough not to be a hashing DoS


@lru_cache(maxsize=4)
def hasher(time_cost: int = 2, memory_kib: int = 19 * 1024, parallelism: int = 1) -> PasswordHasher:
    """An argon2id hasher with the given cost, so the parameters can rise without a migration
    (old hashes are rehashed at the next log-in)."""
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, hash_len=32, salt_len=16, type=Type.ID
    )


HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Django's list of the 20,000 most common passwords (ASVS asks for at least the top 3,000),
    plus our own: Indian favourites and the shop's name."""
    with gzip.open(HERE / "common_passwords_django.txt.gz", "rt", encoding="utf-8") as django_list:
        words = django_list.read().splitlines()
    words += (HERE / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(word.strip().lower() for word in words if word.strip())


def is_common(password: str) -> bool:
    """A common password, as it is or with digits and !@# added at the end ("Password2024!")."""
    lowered = password.lower()
    base = lowered.rstrip("0123456789!@#")
    # the list also holds short stems ("1", "ab"): only a stem of four or more letters counts
    return lowered in common_passwords() or (len(base) >= 4 and base in common_passwords())


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, or None. Length and commonness only: no composition rules."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A short phrase is easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if is_common(password):
        return "That password is one of the most common ones and easy to guess. Please choose another."
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if lowered in {email.lower(), local, name.lower().replace(" ", "")}:
        return "Your password should not be your email address or name."
    return None


async def hash_password(password: str, params: tuple[int, int, int] = (2, 19 * 1024, 1)) -> str:
    """Hash in a worker thread: argon2 is slow on purpose and must not stall the event loop."""
    return await asyncio.to_thread(hasher(*params).hash, password)


def _verify(stored_hash: str, password: str, params: tuple[int, int, int]) -> tuple[bool, str | None]:
    current = hasher(*params)
    try:
        current.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, current.hash(password) if current.check_needs_rehash(stored_hash) else None


async def verify_password(
    stored_hash: str | None, password: str, params: tuple[int, int, int] = (2, 19 * 1024, 1)
) -> tuple[bool, str | None]:
    """(matches, a new hash when the parameters have changed). With no stored hash (an unknown
    email) the same work is done against a dummy, so timing does not reveal which emails exist."""
    if stored_hash is None:
        stored_hash = await dummy_hash(params)
        await asyncio.to_thread(_verify, stored_hash, password + "x", params)
        return False, None
    return await asyncio.to_thread(_verify, stored_hash, password, params)


_dummy: dict[tuple, str] = {}


async def dummy_hash(params: tuple[int, int, int]) -> str:
    """A hash of a password nobody has, verified when the email is unknown, so a log-in takes as long
    whether or not the account exists (no user enumeration by timing)."""
    if params not in _dummy:
        _dummy[params] = await hash_password("not a real password", params)
    return _dummy[params]
