"""The e-mail outbox: mail is queued in the transaction of the change it tells of and sent later
by a background sender (sender.py), so a rolled-back change sends nothing, a committed one is
never lost, and a slow or absent mail server never slows a request. See docs/EMAIL.md."""

from __future__ import annotations

from .queries import enqueue_email, message_id_for

__all__ = ["enqueue_email", "message_id_for"]
