"""The fused hooks (hooks.py): one before and one after hook in place of every module's own, run
in Quart's order with Quart's rules, and the request's headers read once by lower-cased name."""

from __future__ import annotations

import threading

from quart import Quart, Response

from mooncart import create_app, hooks, security


def test_the_shop_runs_one_fused_hook_each_way_with_every_modules_hook_inside():
    app = create_app({"SECRET_KEY": "x" * 32})
    (before,) = app.before_request_funcs[None]
    (after,) = app.after_request_funcs[None]
    before_names = [hook.__name__ for hook in before.hooks]
    after_names = [hook.__name__ for hook in after.hooks]
    assert before_names[:3] == ["start_timer", "assign_request_id", "check_request"]
    assert "_before_request" in before_names  # the rate limiter
    # Quart's after order: last registered first, so the security headers come first and the
    # compression and the metrics last (they see the finished response)
    assert after_names[0] == "security_headers"
    assert after_names[-2:] == ["compress", "record"]
    for name in ("record_events", "_after_request", "after_request", "echo_request_id", "close_when_draining"):
        assert name in after_names


async def test_before_hooks_run_in_order_and_the_first_answer_ends_the_request():
    app = Quart(__name__)
    ran = []

    @app.before_request
    async def first():
        ran.append("first")

    @app.before_request
    @hooks.takes_request
    async def second(req):
        ran.append(("second", req.path))
        if req.path == "/stop":
            return "stopped here"

    @app.before_request
    async def third():
        ran.append("third")

    @app.get("/<name>")
    async def view(name):
        return "view"

    hooks.fuse(app)
    client = app.test_client()
    assert await (await client.get("/go")).get_data(as_text=True) == "view"
    assert ran == ["first", ("second", "/go"), "third"]
    ran.clear()
    assert await (await client.get("/stop")).get_data(as_text=True) == "stopped here"
    assert ran == ["first", ("second", "/stop")]


async def test_after_hooks_run_last_registered_first_and_a_plain_one_in_a_worker_thread():
    app = Quart(__name__)
    seen = []
    loop_thread = threading.get_ident()

    @app.after_request
    async def registered_first(response):
        seen.append("registered first")
        response.headers["X-Order"] = ",".join(str(s) for s in seen)
        return response

    @app.after_request
    def plain(response):
        seen.append(threading.get_ident() != loop_thread)
        return response

    @app.after_request
    @hooks.takes_request
    async def registered_last(req, response: Response):
        seen.append(f"registered last {req.method}")
        return response

    @app.get("/")
    async def view():
        return "ok"

    hooks.fuse(app)
    response = await app.test_client().get("/")
    assert response.headers["X-Order"] == "registered last GET,True,registered first"


def test_a_marked_hook_that_is_not_async_is_refused():
    app = Quart(__name__)

    @app.before_request
    @hooks.takes_request
    def plain(req):
        return None

    try:
        hooks.fuse(app)
    except TypeError as refused:
        assert "takes_request" in str(refused)
    else:
        raise AssertionError("a plain function marked @takes_request was fused")


async def test_header_map_answers_like_headers_get_by_lower_cased_name():
    app = create_app({"SECRET_KEY": "x" * 32})
    headers = [("X-Request-ID", "first-one-1234"), ("HX-Request", "true"), ("x-request-id", "second-one-1234")]
    async with app.test_request_context("/", headers=headers):
        from quart import request

        req = request._get_current_object()
        assert isinstance(req, security.ShopRequest)
        assert req.header_map["x-request-id"] == req.headers.get("X-Request-ID") == "first-one-1234"
        assert req.header_map["hx-request"] == "true"
        assert "sec-fetch-site" not in req.header_map


def test_set_headers_replaces_like_werkzeug_set_and_adds_what_is_missing():
    response = Response("", headers=[("X-Frame-Options", "SAMEORIGIN"), ("x-frame-options", "ALLOW"), ("Vary", "A")])
    present = security.header_names(response)
    assert {"x-frame-options", "vary", "content-type"} <= present and "x-content-type-options" not in present
    security.set_headers(response, {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}, present)
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Vary"] == "A"


async def test_a_well_formed_request_id_is_echoed_and_a_forged_one_replaced(client):
    kept = await client.get("/", headers={"X-Request-ID": "proxy-id-12345678"})
    assert kept.headers["X-Request-ID"] == "proxy-id-12345678"
    replaced = await client.get("/", headers={"x-request-id": "bad id\twith tab"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith tab"
    assert len(replaced.headers["X-Request-ID"]) == 32  # 16 random bytes, hex


async def test_headers_are_read_whatever_their_case(client):
    """header_map is keyed by lower-cased name: an htmx header sent in any case still counts."""
    for name in ("HX-Request", "hx-request", "Hx-ReQuest"):
        response = await client.get("/no-such-page", headers={name: "true"})
        assert response.headers.get("HX-Reswap") == "beforebegin"  # the htmx form of the error
