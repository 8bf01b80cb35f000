"""The shop's app-wide before- and after-request hooks, run as one of each.

Every module registers its own hooks where they belong (the request id in logs.py, CSRF in
security.py, the event in analytics...), in the order it needs. Quart then dispatches a dozen of
them on every request, each through ensure_async and its own await, and each looks the request up
again through Werkzeug's context-local proxy (4-6 Python calls a look-up, some hooks a dozen
look-ups). `fuse(app)` runs last in create_app and replaces the app-wide lists with one hook each
that looks the request up once and calls the originals in Quart's own order (before: as
registered, stopping at the first that answers; after: last registered first). A hook marked
`@takes_request` is handed the request object instead of looking it up (docs/BENCHMARKS.md,
bench/calls.py add: the calls a request this saves).
"""

from __future__ import annotations

from inspect import iscoroutinefunction

from quart import Quart, request

TAKES_REQUEST = "mooncart_takes_request"


def takes_request(hook):
    """Mark an async app-wide hook written as hook(req) or hook(req, response): the fused hook
    hands it the request (so register it on the app only, where fuse() finds it)."""
    setattr(hook, TAKES_REQUEST, True)
    return hook


def fuse(app: Quart) -> None:
    """One app-wide before_request and one after_request hook in place of the registered ones.
    The originals stay in each fused hook's `hooks` list, in order, for tools that take one off;
    a plain (not async) one goes through Quart's ensure_async (a worker thread), as in Quart."""
    registered = [*app.before_request_funcs.get(None, ()), *app.after_request_funcs.get(None, ())]
    marked = {hook for hook in registered if getattr(hook, TAKES_REQUEST, False)}
    for hook in marked:
        if not iscoroutinefunction(hook):
            raise TypeError(f"{hook!r} is marked @takes_request but is not async")
    # Quart's wrapper for a plain function, made once; a coroutine function is itself
    before = [app.ensure_async(hook) for hook in app.before_request_funcs.get(None, ())]
    after = [app.ensure_async(hook) for hook in reversed(app.after_request_funcs.get(None, ()))]  # as Quart runs them

    async def before_every_request():
        """Run each before hook in turn; the first that answers ends the request, as in Quart."""
        req = request._get_current_object()
        for hook in before_every_request.hooks:
            result = await (hook(req) if hook in marked else hook())
            if result is not None:
                return result
        return None

    async def after_every_request(response):
        """Run each after hook in turn on the response, in Quart's order."""
        req = request._get_current_object()
        for hook in after_every_request.hooks:
            response = await (hook(req, response) if hook in marked else hook(response))
        return response

    before_every_request.hooks = before  # type: ignore[attr-defined]
    after_every_request.hooks = after  # type: ignore[attr-defined]
    app.before_request_funcs[None] = [before_every_request] if before else []
    app.after_request_funcs[None] = [after_every_request] if after else []
