"""harpia's __all__ matches what it defines, and the version is the package's."""

from __future__ import annotations

import types
from importlib.metadata import version

import harpia
from harpia import _testclient


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(harpia).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(harpia.__all__) == public | {"__version__"}
    assert len(harpia.__all__) == len(set(harpia.__all__))


def test_core_names_are_exported() -> None:
    for name in ("Harpia", "harpia", "Request", "Response", "Router", "HTTPError"):
        assert name in harpia.__all__


def test_test_client_is_exported() -> None:
    assert harpia.TestClient is _testclient.TestClient  # type: ignore[attr-defined, unused-ignore]
    assert "TestClient" in harpia.__all__


def test_version_matches_the_distribution() -> None:
    assert harpia.__version__ == version("harpia-framework")
