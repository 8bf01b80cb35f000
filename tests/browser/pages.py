"""Steps several browser journeys share."""

from __future__ import annotations


async def fill_address(page, *, name: str, line1: str, city: str, state: str, pin_code: str, mobile: str) -> None:
    """The delivery address form (checkout's, or the account's)."""
    await page.fill("#f-full_name", name)
    await page.fill("#f-line1", line1)
    await page.fill("#f-city", city)
    await page.select_option("#f-state", state)
    await page.fill("#f-pin_code", pin_code)
    await page.fill("#f-mobile", mobile)
