"""The home site's tests: their ``hub`` serves the home site too (``home.attach``), on the store
a ``both_stores`` test names."""

from __future__ import annotations

import pytest
from home_fixtures import start_home_hub


@pytest.fixture
def hub(request, tmp_path):
    running = start_home_hub(request, tmp_path, getattr(request, "param", "sqlite"))
    yield running
    running.stop()
