"""Who may use each route of the app (the route matrix and the query sweep both read it): a
route missing here fails those tests, so a new route must say who it is for."""

from __future__ import annotations

# public: anyone may GET; public-post: anyone may POST (with a CSRF token); shopper: log-in needed;
# owned: only the shopper it belongs to (others get 404); staff: staff only (shoppers 403);
# second-step: the code page of a log-in, only after the right password (else back to log in);
# stream: server-sent events (tested in test_live.py; never a state change);
# moved: a hand-typed variant of a page's address, 301 to it for everyone; gateway-return: the
# shopper back from the payment gateway's page (log-in needed; an order with no gateway payment,
# or another's, is 404); signed: the gateway's webhooks (no CSRF token, refused without its signature);
# operator: only addresses in MOONCART_METRICS_ALLOW, everyone else 404 (tested in tests/ops)
MATRIX = {
    "static": "public",
    "media.garment_art": "public",
    "media.upload": "public",
    "assets.service_worker": "public",
    "assets.offline": "public",
    "catalog.home": "public",
    "catalog.category": "public",
    "catalog.product": "public",
    "reviews.create": "shopper",
    "reviews.index": "public",
    "reviews.helpful": "shopper",
    "reviews.loved": "public",
    "delivery.estimate": "public",
    "catalog.category_with_slash": "moved",
    "catalog.product_with_slash": "moved",
    "catalog.my_sizes": "public",
    "catalog.save_my_sizes_form": "public-post",
    "catalog.show_my_sizes": "public-post",
    "bag.show": "public",
    "bag.add": "public-post",
    "bag.change_quantity": "public-post",
    "bag.remove": "public-post",
    "checkout.apply_bag_voucher": "public-post",
    "checkout.remove_bag_voucher": "public-post",
    "accounts.register": "public",
    "accounts.login": "public",
    "accounts.logout": "public-post",
    "accounts.account": "shopper",
    "accounts.change_password": "shopper",
    "accounts.addresses": "shopper",
    "accounts.delete_address": "owned",
    "accounts.login_code": "second-step",
    "accounts.two_step_settings": "shopper",
    "accounts.start_two_step": "shopper",
    "accounts.confirm_two_step": "shopper",
    "accounts.new_recovery_codes": "shopper",
    "accounts.turn_off_two_step": "shopper",
    "checkout.show": "shopper",
    "checkout.place": "shopper",
    "checkout.apply_voucher": "shopper",
    "checkout.remove_voucher": "shopper",
    "orders.list_orders": "shopper",
    "orders.show": "owned",
    "orders.cancel": "owned",
    "orders.check_payment": "owned",
    "orders.return_form": "owned",
    "orders.request_return_view": "owned",
    "checkout.payment_return": "gateway-return",
    "checkout.webhook": "signed",
    "live.product": "stream",
    "live.bag": "stream",
    "wishlist.show": "shopper",
    "wishlist.add": "shopper",
    "wishlist.remove": "shopper",
    "wishlist.move": "shopper",
    "wishlist.live": "stream",
    "health.healthz": "public",
    "health.readyz": "public",
    "metrics.metrics": "operator",
    "admin.mail": "staff",
    "admin.retry_mail": "staff",
    "holds.join": "shopper",
    "holds.mine": "shopper",
    "looks.show": "public",
    "looks.add": "public-post",
    "looks.staff_list": "staff",
    "looks.new": "staff",
    "looks.edit": "staff",
    "looks.add_piece": "staff",
    "looks.remove_piece": "staff",
    "looks.move_piece": "staff",
    "looks.publish": "staff",
    "looks.delete": "staff",
    "search.results": "public",
    "search.suggest": "public",
}


def kind_of(endpoint: str) -> str:
    if endpoint.startswith("admin."):
        return "staff"
    assert endpoint in MATRIX, f"{endpoint} is not in the route matrix: say who may use it"
    return MATRIX[endpoint]
