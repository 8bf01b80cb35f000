"""Product pictures. Demo pictures are drawn here as SVG garment silhouettes in the product's
colour, so nothing is downloaded; staff uploads (later) are served from MEDIA_ROOT/uploads."""

from __future__ import annotations

import re

from quart import Blueprint, Response, abort, current_app, render_template, send_from_directory

bp = Blueprint("media", __name__)

# One outline per garment kind, drawn on a 300 x 400 canvas.
GARMENT_PATHS = {
    "kurti": ["M110 40 L150 58 L190 40 L245 72 L228 128 L206 116 L218 364 L82 364 L94 116 L72 128 L55 72 Z"],
    "top": ["M110 80 L150 98 L190 80 L248 112 L230 168 L207 156 L212 300 L88 300 L93 156 L70 168 L52 112 Z"],
    "dress": ["M120 40 L150 60 L180 40 L198 62 L186 150 L244 364 L56 364 L114 150 L102 62 Z"],
    "lehenga": ["M112 48 L188 48 L198 112 L102 112 Z", "M108 130 L192 130 L262 368 L38 368 Z"],
    "saree": ["M118 40 L182 40 L204 124 L236 368 L64 368 L96 124 Z", "M118 40 L150 40 L236 196 L236 262 L104 90 Z"],
    "jeans": ["M94 40 L206 40 L218 368 L166 368 L150 146 L134 368 L82 368 Z"],
    "dupatta": ["M70 60 Q150 20 230 60 L212 330 L188 330 L196 96 Q150 74 104 96 L112 330 L88 330 Z"],
    "footwear": [
        "M48 300 Q46 262 100 256 L226 240 Q262 238 258 276 Q254 302 204 306 L82 322 Q50 324 48 300 Z",
        "M112 256 Q150 186 196 246 L180 248 Q150 208 128 254 Z",
    ],
    "bag": [
        "M66 160 L234 160 L254 344 L46 344 Z",
        "M104 160 Q104 84 150 84 Q196 84 196 160 L182 160 Q182 100 150 100 Q118 100 118 160 Z",
    ],
    "jewellery": ["M60 90 Q150 250 240 90 L228 88 Q150 226 72 88 Z", "M150 236 L172 270 L150 318 L128 270 Z"],
}
HEX = re.compile(r"[0-9a-f]{6}")


def darker(hex6: str, factor: float = 0.65) -> str:
    """The outline colour: the garment's colour, darkened."""
    r, g, b = (int(hex6[i : i + 2], 16) for i in (0, 2, 4))
    return f"#{int(r * factor):02x}{int(g * factor):02x}{int(b * factor):02x}"


@bp.get("/media/art/<kind>/<colour>.svg")
async def garment_art(kind: str, colour: str):
    """A demo product picture, drawn on request and cached by the browser for a year."""
    if kind not in GARMENT_PATHS or not HEX.fullmatch(colour):
        abort(404)
    body = await render_template(
        "media/garment.svg", paths=GARMENT_PATHS[kind], fill="#" + colour, outline=darker(colour)
    )
    response = Response(body, content_type="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


async def send_file_or_404(directory: str, filename: str) -> Response:
    """A file from `directory`, or 404. A name longer than the file system allows makes stat()
    raise OSError (ENAMETOOLONG) inside send_from_directory, which was a 500 (the GET sweep in
    tests/web/test_query_sweep.py found it): that file is simply not here."""
    try:
        return await send_from_directory(directory, filename)
    except OSError:
        abort(404)


@bp.get("/media/uploads/<path:filename>")
async def upload(filename: str):
    """A picture staff uploaded (send_from_directory refuses paths outside the folder)."""
    return await send_file_or_404(current_app.config["MEDIA_ROOT"] + "/uploads", filename)
