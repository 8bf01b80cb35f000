"""Add to bag's htmx reply is rendered without the context processors (htmx.render_given): its
templates, and every template they include, must then name none of the processors' values."""

from __future__ import annotations

from jinja2 import meta

from mooncart import create_app
from mooncart.htmx import PROCESSOR_NAMES, template_environment

RENDERED_GIVEN = ["bag/replies/add.html"]


def templates_under(env, name: str, seen: set[str]) -> set[str]:
    """The template and every template it includes, extends or imports, by name."""
    if name in seen:
        return seen
    seen.add(name)
    source = env.loader.get_source(env, name)[0]
    for included in meta.find_referenced_templates(env.parse(source)):
        assert included is not None, f"{name} includes a template chosen at run time: cannot be checked"
        templates_under(env, included, seen)
    return seen


async def test_replies_rendered_without_context_processors_use_none_of_their_values():
    app = create_app({"SECRET_KEY": "x" * 32})
    async with app.app_context():
        env = template_environment(app)
        for reply in RENDERED_GIVEN:
            for name in templates_under(env, reply, set()):
                source = env.loader.get_source(env, name)[0]
                used = meta.find_undeclared_variables(env.parse(source)) & PROCESSOR_NAMES
                assert not used, f"{name} (in {reply}) uses {used}: render it with the context processors"


async def test_the_processors_names_are_what_the_processors_give(app):
    """PROCESSOR_NAMES must list every value the context processors add (a catalogue fragment
    gets the most: the wishlist's hearts too), or the check above would miss one."""
    from quart import request

    from mooncart.htmx import _context_processors

    async with app.app.test_request_context("/c/kurtis", headers={"HX-Request": "true"}):
        assert request.blueprint == "catalog"
        given = await _context_processors(app.app, {})
    assert set(given) == PROCESSOR_NAMES
