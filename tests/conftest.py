"""Shared test configuration: a headless matplotlib backend."""

import matplotlib

matplotlib.use("Agg")
