"""The ASGI entry point: `hypercorn mooncart.asgi:app`."""

from . import create_app

app = create_app()
