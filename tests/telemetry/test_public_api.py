"""harpia_telemetry's __all__ matches what it defines; the version is the package's."""

from __future__ import annotations

import types
from importlib.metadata import version

import harpia_telemetry


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(harpia_telemetry).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(harpia_telemetry.__all__) == public | {"__version__"}
    assert len(harpia_telemetry.__all__) == len(set(harpia_telemetry.__all__))


def test_version_matches_the_distribution() -> None:
    assert harpia_telemetry.__version__ == version("harpia-telemetry")


def test_depends_only_on_harpia_store() -> None:
    from importlib.metadata import requires

    assert [r.split(";")[0].strip() for r in requires("harpia-telemetry") or []] == [
        "harpia-store<0.2,>=0.1",
        "harpia-store[redis]<0.2,>=0.1",
    ]


def test_importing_it_does_not_import_harpia() -> None:
    import subprocess
    import sys

    code = "import sys, harpia_telemetry; print('harpia' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "False", out.stderr
