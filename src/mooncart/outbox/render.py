"""E-mail templates (templates/email/): a Jinja environment of the outbox's own, so mail can be
written where no request is being served (a payment confirmed by `mooncart reconcile-payments`).
The .html templates are autoescaped, the .txt ones are plain text and are not."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..formatting import indian_number, inr

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The environment, made once per process."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inr"] = inr
    env.filters["indian_number"] = indian_number
    return env


def render_email(name: str, **context) -> tuple[str, str]:
    """(plain text, HTML) of templates/email/<name>.txt and .html with the same context."""
    env = environment()
    text = env.get_template(f"email/{name}.txt").render(context)
    html = env.get_template(f"email/{name}.html").render(context)
    return text, html
