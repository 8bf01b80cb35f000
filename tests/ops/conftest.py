"""The live-stock tests' app with a real pool serves the stream-counting test too."""

from tests.test_live import pooled_app  # noqa: F401 # a fixture
