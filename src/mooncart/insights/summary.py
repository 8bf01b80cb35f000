"""What the shop's pages make of the stored readings. Pure, and free of the ml extra: the shop
imports this, never the analysis."""

from __future__ import annotations


def fit_advice(fit: dict) -> dict | None:
    """ "Most buyers say: runs small, consider a size up" when at least three reviews speak of
    fit and more than half of them agree; None otherwise."""
    total = sum(fit.values())
    if total < 3:
        return None
    signal, n = max(fit.items(), key=lambda item: item[1])
    if n * 2 <= total:
        return None
    text = {
        "small": "runs small, consider a size up",
        "true": "true to size",
        "large": "runs large, consider a size down",
    }[signal]
    return {"signal": signal, "text": "Most buyers say: " + text, "agree": n, "total": total}
