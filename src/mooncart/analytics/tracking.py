"""Which requests become events, and the visitor cookie. Nothing here touches the database: an
event goes into the recorder's queue and the request carries on."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from quart import Quart, Response, g

from ..hooks import takes_request
from .recorder import Event, EventRecorder

VISITOR_COOKIE = "mooncart_visitor"
_VISITOR = re.compile(r"[A-Za-z0-9_-]{22}")
_ORDER_PATH = re.compile(r"/orders/([A-Za-z0-9-]{1,20})$")


def tracking_refused(req) -> bool:
    """Global Privacy Control or Do Not Track (on req, the request object): no event and no cookie."""
    headers = req.header_map
    return headers.get("sec-gpc", "").strip() == "1" or headers.get("dnt", "").strip() == "1"


_TABLET = re.compile(r"iPad|Tablet|Kindle|Silk/|Android(?!.*Mobile)")
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android|Opera Mini|IEMobile")


def device_of(user_agent: str) -> str:
    """mobile, tablet or desktop from the User-Agent, for the analytics by device."""
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def note_product_view(product: dict) -> None:
    """The product page calls this: the view is recorded once the page has been answered."""
    g.analytics_product = (product["id"], product.get("category_id"))


def note_search(query: str, results: int) -> None:
    """A search page calls this with the words and how many products it found."""
    g.analytics_search = (query[:100], results)


def _small_int(raw: str | None, limit: int) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 and int(raw) <= limit else None


async def events_for(response: Response, req) -> list[dict]:
    """The events this answered request (req, the request object) stands for (often none)."""
    endpoint = req.endpoint or ""
    method = req.method
    ok = response.status_code in (200, 303)
    found: list[dict] = []
    on_checkout = endpoint.startswith("checkout.") and (req.path == "/checkout" or req.path.startswith("/checkout/"))
    if on_checkout and method == "POST" and response.status_code == 422:
        # a checkout form sent back with what was wrong (an address, a PIN not served, a price
        # changed, a voucher that does not apply) is a step too: where shoppers get stuck
        found.append(dict(kind="checkout", step=endpoint.split(".", 1)[1] + "-refused"))
    if not ok:
        return found
    app_globals = g._get_current_object()  # one proxy look-up
    product = getattr(app_globals, "analytics_product", None)
    if product is not None and endpoint.startswith("catalog.") and method == "GET":
        product_id, category_id = product
        found.append(dict(kind="view", product_id=product_id, category_id=category_id))
    search = getattr(app_globals, "analytics_search", None)
    if search is not None:
        query, results = search
        found.append(dict(kind="search", query=query, results=results))
    if endpoint == "bag.add" and method == "POST":
        form = await req.form
        variant_id = _small_int(form.get("variant_id"), 4294967295)
        if variant_id is not None:
            found.append(dict(kind="add", variant_id=variant_id, quantity=_small_int(form.get("quantity"), 60000) or 1))
    # the checkout pages only: the bag page's voucher box is served by checkout's blueprint too
    # (/bag/voucher), but a shopper using it has not reached checkout
    if on_checkout:
        step = endpoint.split(".", 1)[1] + ("-post" if method == "POST" else "")
        location = response.headers.get("HX-Redirect") or response.headers.get("Location") or ""
        # an order is placed when the form's answer, or the way back from a UPI gateway's page
        # (the form's answer went to the gateway), moves to the new order's page
        moved = method == "POST" or endpoint == "checkout.payment_return"
        placed = _ORDER_PATH.search(location.split("?")[0]) if moved else None
        found.append(dict(kind="checkout", step="placed" if placed else step))
        if placed:
            found.append(dict(kind="order", order_number=placed.group(1)))
    return found


def init_app(app: Quart) -> None:
    """Record events after each request and write them in the background while serving."""
    app.config.setdefault("EVENTS_FLUSH_SECONDS", 1.0)

    @app.while_serving
    async def recorder_lifespan():
        """Run the event recorder while the app serves, so events are written in batches off the request path."""
        # a while_serving generator resumes before the after_serving functions close the pool,
        # so the last batch is written while there is still a connection to write it with
        recorder = EventRecorder(
            app.extensions["db"],
            flush_seconds=app.config["EVENTS_FLUSH_SECONDS"],
            retention_days=app.config["EVENTS_RETENTION_DAYS"],
        )
        app.extensions["events"] = recorder
        if app.extensions["db"].shared_connection is None:
            recorder.start()  # a test's shared connection is never written from the background
        yield
        await recorder.stop()

    @app.after_request
    @takes_request
    async def record_events(req, response: Response) -> Response:
        """Note the events this response stands for (unless the visitor refused tracking); written later in a batch."""
        recorder: EventRecorder | None = app.extensions.get("events")
        if recorder is None or tracking_refused(req):
            return response
        found = await events_for(response, req)
        if not found:
            return response
        visitor = req.cookies.get(VISITOR_COOKIE, "")
        if not _VISITOR.fullmatch(visitor):
            visitor = secrets.token_urlsafe(16)
            response.set_cookie(
                VISITOR_COOKIE,
                visitor,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=req.is_secure,
            )
        now = datetime.now()
        device = device_of(req.header_map.get("user-agent", ""))
        for fields in found:
            recorder.record(Event(occurred_at=now, visitor_id=visitor, device=device, **fields))
        return response
