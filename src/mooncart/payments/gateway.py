"""The card and UPI gateway's HTTP API, in the shape Indian gateways share (Razorpay's is the
reference): the shop creates a gateway order for the amount, the shopper pays it (card details
sent server-to-server, or UPI on the gateway's own page), the shop captures the authorised
payment, and can look the order's payments up and refund one. Every call that moves money
carries an idempotency key derived from the shop's order, so a retried call (a 5xx, a timeout,
a worker killed mid-call) is answered with the first call's result instead of moving money twice.

Signatures: the return to the shop carries HMAC-SHA256(order id | payment id) under the key
secret; webhooks carry HMAC-SHA256(raw body) under the webhook secret."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass

import httpx

log = logging.getLogger("mooncart.payments")

RETRIES = 3  # per call, with the same idempotency key; only for answers that prove nothing happened twice


class GatewayUnavailable(Exception):
    """The gateway did not give a usable answer (timeout, connection refused, 5xx after retries).
    Whether the call took effect is unknown: ask again later with the same idempotency key, or
    look the order up."""


class GatewayRefused(Exception):
    """The gateway answered with a 4xx: the request itself is wrong (or the card was refused)."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"gateway refused ({status}): {body}")
        self.status, self.body = status, body


def sign(secret: str, message: str | bytes) -> str:
    """Hex HMAC-SHA256, as the gateway signs returns and webhooks."""
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_ok(secret: str, message: str | bytes, signature: str | None) -> bool:
    """Compared in constant time; a missing or non-ASCII signature is simply wrong."""
    if not secret or not signature or not signature.isascii():
        return False
    return hmac.compare_digest(sign(secret, message), signature)


def payment_signature_ok(key_secret: str, gateway_order_id: str, payment_id: str, signature: str | None) -> bool:
    """The return URL's proof that the gateway, not the shopper, says this payment belongs to this order."""
    return signature_ok(key_secret, f"{gateway_order_id}|{payment_id}", signature)


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    key_id: str
    key_secret: str
    webhook_secret: str
    timeout: float = 15.0


class GatewayClient:
    """Thin, honest HTTP: JSON in and out, basic auth with the key id and secret."""

    def __init__(self, settings: GatewaySettings):
        self.settings = settings

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict | None = None,
        idempotency_key: str | None = None,
        params: dict | None = None,
    ) -> dict:
        """One API call, retried on a connection error or a 5xx (same idempotency key, so the
        gateway answers a repeat with the first result). GatewayUnavailable when it never answers."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        last: Exception | None = None
        for attempt in range(1, RETRIES + 1):
            try:
                async with httpx.AsyncClient(
                    base_url=self.settings.url,
                    timeout=self.settings.timeout,
                    auth=(self.settings.key_id, self.settings.key_secret),
                ) as client:
                    response = await client.request(method, path, json=json, params=params, headers=headers)
            except httpx.TimeoutException as error:
                # no retry: the call may be taking effect right now; the caller finds out later
                raise GatewayUnavailable(f"{method} {path}: timed out") from error
            except httpx.HTTPError as error:
                last = error
            else:
                if response.status_code >= 500:
                    last = GatewayUnavailable(f"{method} {path}: {response.status_code}")
                elif response.status_code >= 400:
                    try:
                        body = response.json()
                    except ValueError:
                        body = {"error": {"description": response.text[:200]}}
                    raise GatewayRefused(response.status_code, body)
                else:
                    return response.json()
            log.warning("gateway call failed, retrying", extra={"path": path, "attempt": attempt, "error": str(last)})
            await asyncio.sleep(0.05 * attempt)
        raise GatewayUnavailable(f"{method} {path}: {last}")

    async def create_order(self, amount_paise: int, receipt: str) -> dict:
        """The gateway's order for a shop order (idempotent by receipt); capture is ours to do later."""
        return await self.call(
            "POST",
            "/v1/orders",
            json={"amount": amount_paise, "currency": "INR", "receipt": receipt, "payment_capture": 0},
            idempotency_key=f"order-{receipt}",
        )

    async def pay_by_card(self, gateway_order_id: str, amount_paise: int, card: dict, key: str) -> dict:
        """Authorise a card payment on a gateway order."""
        return await self.call(
            "POST",
            "/v1/payments/create/json",
            json={
                "order_id": gateway_order_id,
                "amount": amount_paise,
                "currency": "INR",
                "method": "card",
                "card": card,
            },
            idempotency_key=key,
        )

    async def capture(self, payment_id: str, amount_paise: int, key: str) -> dict:
        """Take an authorised payment (idempotent by key)."""
        return await self.call(
            "POST",
            f"/v1/payments/{payment_id}/capture",
            json={"amount": amount_paise, "currency": "INR"},
            idempotency_key=key,
        )

    async def order_payments(self, gateway_order_id: str) -> list[dict]:
        """Every payment attempt on a gateway order, to learn what really happened."""
        return (await self.call("GET", f"/v1/orders/{gateway_order_id}/payments")).get("items", [])

    async def refund(self, payment_id: str, amount_paise: int, key: str) -> dict:
        """Send (part of) a captured payment back (idempotent by key)."""
        return await self.call(
            "POST", f"/v1/payments/{payment_id}/refund", json={"amount": amount_paise}, idempotency_key=key
        )

    async def fetch_refund(self, refund_id: str) -> dict:
        """Where a refund has got to."""
        return await self.call("GET", f"/v1/refunds/{refund_id}")

    def checkout_url(self, gateway_order_id: str, callback_url: str) -> str:
        """The gateway's own payment page for this order (UPI), which sends the shopper back to callback_url."""
        query = httpx.QueryParams({"key_id": self.settings.key_id, "callback_url": callback_url})
        return f"{self.settings.url.rstrip('/')}/v1/checkout/{gateway_order_id}?{query}"
