"""The app class: Quart with `ensure_async` remembering coroutine functions (docs/BENCHMARKS.md,
"overhead, session 5"). What it hands back must be exactly what Quart would: a coroutine function
itself, and a plain function wrapped to run in a worker thread, every time."""

from __future__ import annotations

import threading

from quart import Quart

from mooncart import Shop


def test_a_coroutine_function_comes_back_as_itself_and_is_remembered(app):
    app = app.app  # the fixture is Quart's TestApp around the shop's app

    async def hook():
        return "ran"

    assert isinstance(app, Shop)
    assert app.ensure_async(hook) is hook
    assert hook in app._known_async
    assert app.ensure_async(hook) is hook


async def test_a_plain_function_still_runs_in_a_worker_thread_every_time(app):
    app = app.app
    loop_thread = threading.get_ident()

    def plain():
        return threading.get_ident()

    for _ in range(2):
        wrapped = app.ensure_async(plain)
        assert wrapped is not plain
        async with app.app_context():
            assert await wrapped() != loop_thread
    assert plain not in app._known_async


def test_the_remembered_set_is_bounded():
    shop = Shop(__name__)
    shop.KNOWN_ASYNC_LIMIT = 3
    made = []
    for _ in range(10):

        async def made_per_request():
            return None

        made.append(made_per_request)
        assert shop.ensure_async(made_per_request) is made_per_request
    assert len(shop._known_async) == 3


def test_an_unhashable_callable_is_asked_of_quart_each_time():
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self):
            return "ran"

    shop, callable_object = Shop(__name__), Unhashable()
    assert shop.ensure_async(callable_object) is not callable_object  # wrapped, as Quart does
    assert Quart(__name__).ensure_async(callable_object) is not callable_object
    assert not shop._known_async
