"""Rate limits on what costs us or others when abused: sign-ups per address, reviews per
account (quart-rate-limiter; counts in Redis when MOONCART_REDIS_URL is set, so all workers
share them, else in this process). Log-in throttling is separate and stricter (accounts.routes).
The account key is accounts.auth.account_key: the accounts import this module, not the reverse."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from quart import Quart, request
from quart_rate_limiter import QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, RateLimit, RateLimiter

from .hooks import takes_request

HOUR = timedelta(hours=1)


def throttle_key(ip: str) -> str:
    """The bucket an address counts in: one home or phone connection gets a whole IPv6 /64 and
    can rotate through 2^64 addresses, so an IPv6 address counts as its /64 (and an IPv4-mapped
    one as its IPv4 address). Logs and the sessions table keep the full address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


async def address_key() -> str:
    """Rate limits by client address for visitors who are not signed in."""
    return throttle_key(request.remote_addr or "unknown")


async def unless_posting() -> bool:
    """Showing a form is free; only sending it counts."""
    return request.method != "POST"


def hourly_limit(config_key: str, key_function, default: int | None = None):
    """Mark a view; its limit (from config_key, per hour, else default) is applied when the app
    starts serving, so tests and deployments can tune it. Put it right under the route decorator."""

    def mark(view):
        """Mark the view; its limit is read from the config when serving starts."""
        view.mooncart_hourly_limit = (config_key, key_function, default)
        return view

    return mark


VOUCHER_CODES_PER_HOUR = 30  # codes tried on the bag per address, at checkout per account: enough
# for a shopper with a handful of codes, too few to find a private code by guessing


class ShopRateLimiter(RateLimiter):
    """quart-rate-limiter, whose hooks run on every request, skipping its work on the views that
    have no limit (nearly every request: pages, add to bag): 14 µs a request (bench/hooks.py).
    The limited views are known once their limits are applied, when serving starts; until then
    (and if limits ever come from defaults or blueprints) every view goes through the limiter."""

    limited: frozenset[str] | None = None

    def note_limited_views(self, app: Quart) -> None:
        """Remember which endpoints carry a limit, now that the limits are applied."""
        if self._default_rate_limits or any(
            getattr(bp, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, None) for bp in app.blueprints.values()
        ):
            self.limited = None
            return
        self.limited = frozenset(
            endpoint
            for endpoint, view in app.view_functions.items()
            if getattr(view, QUART_RATE_LIMITER_LIMITS_ATTRIBUTE, None)
        )

    @takes_request  # the app's fused hooks hand it the request object (hooks.py)
    async def _before_request(self, req) -> None:
        if self.limited is None or req.endpoint in self.limited:
            await super()._before_request()

    @takes_request
    async def _after_request(self, req, response):
        if self.limited is None or req.endpoint in self.limited:
            return await super()._after_request(response)
        return response


def init_app(app: Quart) -> None:
    """The rate limiter, with Redis when configured so every worker counts together."""
    store = None
    if app.config.get("REDIS_URL"):
        from quart_rate_limiter.redis_store import RedisStore

        store = RedisStore(app.config["REDIS_URL"])
    limiter = ShopRateLimiter(app, store=store)

    @app.before_serving
    async def apply_configured_limits() -> None:
        """Give every marked view its hourly limit from the config, now that the config is final."""
        for view in app.view_functions.values():
            marked = getattr(view, "mooncart_hourly_limit", None)
            if marked:
                config_key, key_function, default = marked
                setattr(
                    view,
                    QUART_RATE_LIMITER_LIMITS_ATTRIBUTE,
                    [RateLimit(app.config.get(config_key, default), HOUR, key_function, unless_posting)],
                )
        limiter.note_limited_views(app)
