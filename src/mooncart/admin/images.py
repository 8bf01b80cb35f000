"""Checking and storing uploaded product photos with Pillow: the content decides, not the name.
Every upload is decoded, size-checked, re-encoded (dropping anything hidden in the file) and
given a thumbnail."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 6000
MIN_SIDE = 200
MAX_PIXELS = 30_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_SIZE = (900, 1200)
THUMB_SIZE = (300, 400)


class BadImage(ValueError):
    """str() is the message for staff."""


def process_upload(data: bytes, media_root: str) -> str:
    """Validate and store; returns the path under the media root ('uploads/<name>.jpg')."""
    if not data:
        raise BadImage("Please choose a photo to upload.")
    if len(data) > MAX_BYTES:
        raise BadImage(f"That file is {len(data) / 1024 / 1024:.1f} MB; photos can be at most 8 MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
                if kind not in ALLOWED_FORMATS:
                    raise BadImage("Please upload a JPEG, PNG or WebP photo.")
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise BadImage(f"That photo is {width}×{height}; the largest we take is {MAX_SIDE} pixels a side.")
                if min(width, height) < MIN_SIDE:
                    raise BadImage(
                        f"That photo is only {width}×{height}; please use one at least {MIN_SIDE} pixels a side."
                    )
                probe.verify()  # structural check of the whole file
            with Image.open(io.BytesIO(data)) as decoded:  # verify() spends the image; decode afresh
                decoded.load()
                image = ImageOps.exif_transpose(decoded).convert("RGB")
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(
            f"That photo has far too many pixels; the largest we take is {MAX_SIDE} pixels a side."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadImage("That file is not a photo we can read. Please upload a JPEG, PNG or WebP image.") from None
    name = secrets.token_hex(12)
    folder = Path(media_root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    display = image.copy()
    display.thumbnail(DISPLAY_SIZE)
    display.save(folder / f"{name}.jpg", "JPEG", quality=85, optimize=True)
    thumb = ImageOps.fit(image, THUMB_SIZE)
    thumb.save(folder / f"{name}-thumb.jpg", "JPEG", quality=80, optimize=True)
    return f"uploads/{name}.jpg"
