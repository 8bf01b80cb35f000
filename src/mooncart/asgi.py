"""The ASGI entry point: `hypercorn mooncart.asgi:app`."""

import sys

from . import create_app

try:
    app = create_app()
except ValueError as error:  # a MOONCART_* setting that cannot work: say which, not a traceback
    sys.exit(f"mooncart: {error}")
