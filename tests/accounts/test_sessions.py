"""Sessions are revocable: a changed password ends every other session, and staff can sign a
customer out everywhere."""

from __future__ import annotations

from tests.conftest import log_in, post, soup
from tests.factories import make_user


async def test_changing_the_password_ends_every_other_session(app, conn):
    user = await make_user(conn)
    phone, laptop = app.test_client(), app.test_client()
    await log_in(phone, user)
    await log_in(laptop, user)
    wrong = await post(laptop, "/account/password", form={"current_password": "nope", "new_password": "a new monsoon"})
    assert wrong.status_code == 422 and "not your current password" in soup(await wrong.get_data()).get_text()
    weak = await post(
        laptop, "/account/password", form={"current_password": user["password"], "new_password": "123456"}
    )
    assert weak.status_code == 422
    done = await post(
        laptop, "/account/password", form={"current_password": user["password"], "new_password": "a new monsoon"}
    )
    assert done.status_code == 303
    assert (await laptop.get("/account")).status_code == 200, "this session stays"
    assert (await phone.get("/account")).status_code == 303, "the other one is over"
    assert (await log_in(app.test_client(), user, password="a new monsoon")).status_code == 303


async def test_staff_can_sign_a_customer_out_everywhere(app, conn):
    customer, staff_user = await make_user(conn), await make_user(conn, is_staff=True)
    shopper, staff = app.test_client(), app.test_client()
    await log_in(shopper, customer)
    await log_in(staff, staff_user)
    response = await post(staff, f"/admin/customers/{customer['id']}/sign-out")
    assert response.status_code == 303
    assert (await shopper.get("/account")).status_code == 303
