"""Running the shop: health checks (health.py) and Prometheus metrics (metrics.py)."""
