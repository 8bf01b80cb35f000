"""Accounts' SQL on the real database: users without their hashes where a hash is not needed,
sessions that end when revoked, the log-in throttles' counts, addresses only their owner
touches, and recovery codes that work once."""

from __future__ import annotations

import secrets

from mooncart.accounts import queries
from tests.factories import ADDRESS, make_user


async def test_a_user_is_found_by_email_and_only_the_log_in_sees_the_hash(conn):
    email = f"nisha.{secrets.token_hex(4)}@example.in"
    user_id = await queries.insert_user(
        conn, email=email, name="Nisha Verma", mobile="9876543210", password_hash="argon2-hash"
    )
    by_email = await queries.select_user_by_email(conn, email)
    assert (by_email["id"], by_email["password_hash"], by_email["is_staff"]) == (user_id, "argon2-hash", 0)
    assert "password_hash" not in await queries.select_user(conn, user_id)
    assert await queries.select_user_by_email(conn, "nobody@example.in") is None


async def test_a_session_signs_in_until_it_is_revoked(conn):
    user = await make_user(conn, password_hash="x")
    token = secrets.token_hex(32)
    await queries.insert_session(conn, token, user["id"], "127.0.0.1")
    found = await queries.select_session_user(conn, token, idle_minutes=30, absolute_hours=12)
    assert found["id"] == user["id"] and "password_hash" not in found
    await queries.revoke_session(conn, token)
    assert await queries.select_session_user(conn, token, idle_minutes=30, absolute_hours=12) is None


async def test_revoking_every_other_session_keeps_the_one_in_use(conn):
    user = await make_user(conn, password_hash="x")
    tokens = [secrets.token_hex(32) for _ in range(3)]
    for token in tokens:
        await queries.insert_session(conn, token, user["id"], "127.0.0.1")
    assert await queries.revoke_user_sessions(conn, user["id"], except_token_hash=tokens[0]) == 2
    assert await queries.select_session_user(conn, tokens[0], 30, 12) is not None
    assert await queries.select_session_user(conn, tokens[1], 30, 12) is None


async def test_failed_log_ins_are_counted_by_email_and_by_address(conn):
    email, ip = f"target.{secrets.token_hex(4)}@example.in", f"203.0.113.{secrets.randbelow(250) + 1}"
    await queries.delete_login_failures(conn, email)
    before = await queries.count_recent_failures(conn, email, ip, minutes=15)
    await queries.insert_login_failure(conn, email, ip)
    await queries.insert_login_failure(conn, email, "198.51.100.7")
    await queries.insert_login_failure(conn, "other@example.in", ip)
    by_email, by_ip = await queries.count_recent_failures(conn, email, ip, minutes=15)
    assert (by_email, by_ip) == (before[0] + 2, before[1] + 2)
    await queries.delete_login_failures(conn, email)
    assert (await queries.count_recent_failures(conn, email, ip, minutes=15))[0] == 0


async def test_an_address_is_seen_and_removed_only_by_its_owner(conn):
    owner, other = await make_user(conn, password_hash="x"), await make_user(conn, password_hash="x")
    address_id = await queries.insert_address(conn, owner["id"], ADDRESS)
    assert (await queries.select_address(conn, address_id, owner["id"]))["pin_code"] == ADDRESS["pin_code"]
    assert await queries.select_address(conn, address_id, other["id"]) is None
    assert await queries.delete_address(conn, address_id, other["id"]) is False
    assert [a["id"] for a in await queries.select_addresses(conn, owner["id"])] == [address_id]
    assert await queries.delete_address(conn, address_id, owner["id"]) is True
    assert await queries.select_addresses(conn, owner["id"]) == []


async def test_a_recovery_code_works_once_and_new_codes_replace_the_old(conn):
    user = await make_user(conn, password_hash="x")
    await queries.replace_recovery_codes(conn, user["id"], ["hash-a", "hash-b"])
    assert await queries.use_recovery_code(conn, user["id"], "hash-a") is True
    assert await queries.use_recovery_code(conn, user["id"], "hash-a") is False
    assert await queries.count_recovery_codes(conn, user["id"]) == 1
    await queries.replace_recovery_codes(conn, user["id"], ["hash-c"])
    assert await queries.use_recovery_code(conn, user["id"], "hash-b") is False
    assert await queries.count_recovery_codes(conn, user["id"]) == 1
