"""A fake Razorpay-style gateway for the tests: real HTTP on loopback (hypercorn in the test's
event loop), with the failures real gateways have. It keeps its own books (orders, payments,
captures, refunds), so tests can compare what the gateway took with what the shop recorded.

Knobs: `slow` seconds before each answer; `fail_next[path part] = n` answers n 5xx first;
`hang_after_capture` seconds to sleep after a capture took effect (the shop's call times out);
`refunds_pending` makes refunds 'pending' until `process_refunds()`; webhooks are sent at once
(in the background), or held with `hold_webhooks` and delivered later by `deliver()` in any
order, duplicated, or with a bad signature."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config
from markupsafe import escape
from quart import Quart, Response, redirect, request

from tests.shop_server import free_port

KEY_ID, KEY_SECRET, WEBHOOK_SECRET = "rzp_test_mooncart", "fake-key-secret", "fake-webhook-secret"
DECLINED_CARD = "4000000000000002"


def sign(secret: str, message: bytes | str) -> str:
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class FakeGateway:
    url: str = ""
    webhook_url: str | None = None
    slow: float = 0.0
    fail_next: dict = field(default_factory=dict)
    hang_after_capture: float = 0.0
    refunds_pending: bool = False
    hold_webhooks: bool = False
    orders: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    refunds: dict = field(default_factory=dict)
    idempotent: dict = field(default_factory=dict)
    held: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    webhook_answers: list = field(default_factory=list)
    tasks: set = field(default_factory=set)

    # ---- the books ----------------------------------------------------------------------------
    def captured(self) -> dict[str, int]:
        """receipt (the shop's order number) -> amount captured."""
        out: dict[str, int] = {}
        for payment in self.payments.values():
            if payment["status"] in ("captured", "refunded"):
                receipt = self.orders[payment["order_id"]]["receipt"]
                out[receipt] = out.get(receipt, 0) + payment["amount"]
        return out

    def refunded(self) -> dict[str, int]:
        """receipt -> amount refunded (processed or pending)."""
        out: dict[str, int] = {}
        for refund in self.refunds.values():
            receipt = self.orders[self.payments[refund["payment_id"]]["order_id"]]["receipt"]
            out[receipt] = out.get(receipt, 0) + refund["amount"]
        return out

    def calls_for(self, receipt: str) -> list[str]:
        """The API calls the shop made about one of its orders (not the shopper's page)."""
        return [name for name, r in self.calls if r == receipt]

    # ---- webhooks -------------------------------------------------------------------------------
    def event(self, name: str, entity_kind: str, entity: dict) -> None:
        body = json.dumps(
            {"entity": "event", "event": name, "payload": {entity_kind: {"entity": entity}}, "created_at": 0}
        ).encode()
        delivery = {"id": "evt_" + secrets.token_hex(7), "name": name, "body": body}
        if self.hold_webhooks:
            self.held.append(delivery)
        elif self.webhook_url:
            task = asyncio.get_running_loop().create_task(self.send(delivery))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def send(self, delivery: dict, bad_signature: bool = False) -> int:
        signature = sign(WEBHOOK_SECRET, delivery["body"]) if not bad_signature else sign("wrong", delivery["body"])
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.webhook_url,
                content=delivery["body"],
                headers={
                    "Content-Type": "application/json",
                    "X-Razorpay-Signature": signature,
                    "X-Razorpay-Event-Id": delivery["id"],
                },
            )
        self.webhook_answers.append((delivery["name"], response.status_code))
        return response.status_code

    async def deliver(self, *, reverse: bool = False, duplicate: bool = False) -> list[int]:
        """Send the held webhooks (newest first with reverse; each twice with duplicate)."""
        held, self.held = self.held, []
        if reverse:
            held.reverse()
        statuses = []
        for delivery in held:
            for _ in range(2 if duplicate else 1):
                statuses.append(await self.send(delivery))
        return statuses

    async def settle_webhooks(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def process_refunds(self) -> None:
        for refund in self.refunds.values():
            if refund["status"] == "pending":
                refund["status"] = "processed"
                self.event("refund.processed", "refund", dict(refund))


_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}{secrets.token_hex(4)}"


def make_app(gateway: FakeGateway) -> Quart:
    app = Quart(__name__)

    def error(status: int, description: str) -> Response:
        return Response(
            json.dumps({"error": {"code": "BAD_REQUEST_ERROR", "description": description}}),
            status,
            mimetype="application/json",
        )

    def ok(body: dict) -> Response:
        return Response(json.dumps(body), 200, mimetype="application/json")

    @app.before_request
    async def knobs():
        if request.path.startswith("/v1/checkout"):
            return None  # the shopper's page: no API key
        expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, "The api key provided is invalid")
        if gateway.slow:
            await asyncio.sleep(gateway.slow)
        for part, count in list(gateway.fail_next.items()):
            if part in request.path and count > 0:
                gateway.fail_next[part] = count - 1
                return Response("upstream bank error", 502)
        key = request.headers.get("Idempotency-Key")
        if key and (request.path, key) in gateway.idempotent:
            status, body = gateway.idempotent[(request.path, key)]
            return Response(body, status, mimetype="application/json")
        return None

    @app.after_request
    async def remember(response: Response):
        key = request.headers.get("Idempotency-Key")
        if (
            key
            and request.method == "POST"
            and response.status_code < 500
            and not request.path.startswith("/v1/checkout")
        ):
            gateway.idempotent.setdefault((request.path, key), (response.status_code, await response.get_data()))
        return response

    @app.post("/v1/orders")
    async def create_order():
        data = await request.get_json()
        order = {
            "id": new_id("order"),
            "amount": int(data["amount"]),
            "currency": "INR",
            "receipt": data["receipt"],
            "status": "created",
        }
        gateway.orders[order["id"]] = order
        gateway.calls.append(("create", order["receipt"]))
        return ok(order)

    def payment_entity(payment: dict) -> dict:
        return {k: payment[k] for k in ("id", "order_id", "amount", "status", "method")} | {
            "error_description": payment.get("error_description")
        }

    @app.post("/v1/payments/create/json")
    async def pay_by_card():
        data = await request.get_json()
        order = gateway.orders.get(data.get("order_id"))
        if order is None:
            return error(400, "The id provided does not exist")
        gateway.calls.append(("authorise", order["receipt"]))
        payment = {"id": new_id("pay"), "order_id": order["id"], "amount": order["amount"], "method": "card"}
        gateway.payments[payment["id"]] = payment
        if data["card"]["number"] == DECLINED_CARD:
            payment |= {"status": "failed", "error_description": "Your bank declined the payment."}
            gateway.event("payment.failed", "payment", payment_entity(payment))
            return error(400, "Your bank declined the payment.")
        payment["status"] = "authorized"
        order["status"] = "attempted"
        gateway.event("payment.authorized", "payment", payment_entity(payment))
        return ok({"razorpay_payment_id": payment["id"], "id": payment["id"], "status": "authorized"})

    @app.post("/v1/payments/<payment_id>/capture")
    async def capture(payment_id):
        payment = gateway.payments.get(payment_id)
        if payment is None:
            return error(400, "The id provided does not exist")
        gateway.calls.append(("capture", gateway.orders[payment["order_id"]]["receipt"]))
        data = await request.get_json()
        if payment["status"] == "captured":
            return error(400, "This payment has already been captured")
        if payment["status"] != "authorized":
            return error(400, "Only payments which have been authorized and not yet captured can be captured")
        if int(data["amount"]) != payment["amount"]:
            return error(400, "Capture amount must be equal to the amount authorized")
        payment["status"] = "captured"
        gateway.orders[payment["order_id"]]["status"] = "paid"
        gateway.event("payment.captured", "payment", payment_entity(payment))
        if gateway.hang_after_capture:
            await asyncio.sleep(gateway.hang_after_capture)
        return ok(payment_entity(payment))

    @app.get("/v1/orders/<order_id>/payments")
    async def order_payments(order_id):
        order = gateway.orders.get(order_id)
        if order is None:
            return error(400, "The id provided does not exist")
        gateway.calls.append(("look_up", order["receipt"]))
        items = [payment_entity(p) for p in gateway.payments.values() if p["order_id"] == order_id]
        return ok({"entity": "collection", "count": len(items), "items": items})

    @app.post("/v1/payments/<payment_id>/refund")
    async def refund(payment_id):
        payment = gateway.payments.get(payment_id)
        if payment is None or payment["status"] not in ("captured", "refunded"):
            return error(400, "The payment has not been captured")
        gateway.calls.append(("refund", gateway.orders[payment["order_id"]]["receipt"]))
        amount = int((await request.get_json())["amount"])
        already = sum(r["amount"] for r in gateway.refunds.values() if r["payment_id"] == payment_id)
        if amount <= 0 or already + amount > payment["amount"]:
            return error(400, "The refund amount provided is greater than amount captured")
        entry = {
            "id": new_id("rfnd"),
            "payment_id": payment_id,
            "amount": amount,
            "status": "pending" if gateway.refunds_pending else "processed",
        }
        gateway.refunds[entry["id"]] = entry
        if entry["status"] == "processed":
            gateway.event("refund.processed", "refund", dict(entry))
        return ok(entry)

    @app.get("/v1/refunds/<refund_id>")
    async def fetch_refund(refund_id):
        entry = gateway.refunds.get(refund_id)
        return ok(entry) if entry else error(400, "The id provided does not exist")

    # ---- the shopper's page (UPI) ---------------------------------------------------------------
    @app.get("/v1/checkout/<order_id>")
    async def checkout_page(order_id):
        order = gateway.orders.get(order_id)
        if order is None or request.args.get("key_id") != KEY_ID:
            return Response("no such order", 404)
        callback = escape(request.args.get("callback_url", ""))
        rupees = f"₹{order['amount'] / 100:,.2f}"
        form = (
            '<form method="post" action="/v1/checkout/{id}/{act}"><input type="hidden" name="callback_url" '
            'value="{cb}"><button type="submit">{label}</button></form>'
        )
        return Response(
            f"<!doctype html><html lang=en><title>Fake gateway</title><h1>Pay {rupees} by UPI</h1>"
            f"<p>Order {escape(order['receipt'])}</p>"
            + form.format(id=order_id, act="pay", cb=callback, label="Pay")
            + form.format(id=order_id, act="fail", cb=callback, label="Fail"),
            200,
            mimetype="text/html",
        )

    @app.post("/v1/checkout/<order_id>/<action>")
    async def checkout_action(order_id, action):
        order = gateway.orders.get(order_id)
        callback = (await request.form).get("callback_url", "")
        if order is None or not callback:
            return Response("no such order", 404)
        payment = {"id": new_id("pay"), "order_id": order_id, "amount": order["amount"], "method": "upi"}
        gateway.payments[payment["id"]] = payment
        separator = "&" if "?" in callback else "?"
        if action == "pay":
            payment["status"] = "authorized"
            gateway.event("payment.authorized", "payment", payment_entity(payment))
            query = httpx.QueryParams(
                {
                    "razorpay_payment_id": payment["id"],
                    "razorpay_order_id": order_id,
                    "razorpay_signature": sign(KEY_SECRET, f"{order_id}|{payment['id']}"),
                }
            )
        else:
            payment |= {"status": "failed", "error_description": "The UPI payment was declined by the shopper."}
            gateway.event("payment.failed", "payment", payment_entity(payment))
            query = httpx.QueryParams(
                {
                    "error[code]": "BAD_REQUEST_ERROR",
                    "razorpay_order_id": order_id,
                    "error[description]": "Payment failed",
                }
            )
        return redirect(f"{callback}{separator}{query}", 303)

    return app


@asynccontextmanager
async def running_gateway(webhook_url: str | None = None):
    """The fake gateway serving on a free loopback port for the duration of the block."""
    gateway = FakeGateway(webhook_url=webhook_url)
    port = free_port()
    gateway.url = f"http://127.0.0.1:{port}"
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(serve(make_app(gateway), config, shutdown_trigger=stop.wait))
    for _ in range(100):
        try:
            async with httpx.AsyncClient() as client:
                await client.get(gateway.url + "/v1/checkout/none")
            break
        except httpx.HTTPError:
            await asyncio.sleep(0.05)
    try:
        yield gateway
    finally:
        await gateway.settle_webhooks()
        stop.set()
        await task


def gateway_config(gateway: FakeGateway, timeout: float = 5.0) -> dict:
    """The shop's settings for this gateway (test_config keys)."""
    return {
        "GATEWAY_URL": gateway.url,
        "GATEWAY_KEY_ID": KEY_ID,
        "GATEWAY_KEY_SECRET": KEY_SECRET,
        "GATEWAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PAYMENT_TIMEOUT_SECONDS": timeout,
    }


def gateway_env(gateway: FakeGateway, timeout: float = 5.0) -> dict:
    """The same as environment variables, for a shop in its own process."""
    return {
        "MOONCART_GATEWAY_URL": gateway.url,
        "MOONCART_GATEWAY_KEY_ID": KEY_ID,
        "MOONCART_GATEWAY_KEY_SECRET": KEY_SECRET,
        "MOONCART_GATEWAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MOONCART_PAYMENT_TIMEOUT_SECONDS": str(timeout),
    }
