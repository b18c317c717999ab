"""harpia_store's __all__ matches what it defines, and the version is the package's."""

from __future__ import annotations

import types
from importlib.metadata import version

import harpia_store


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(harpia_store).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(harpia_store.__all__) == public | {"__version__"}
    assert len(harpia_store.__all__) == len(set(harpia_store.__all__))


def test_version_matches_the_distribution() -> None:
    assert harpia_store.__version__ == version("harpia-store") == "0.1.0"
