"""Build a package's wheel and install it alone into a fresh venv, fetching nothing.

The wheel is built with the dev venv's hatchling (``--no-index --no-build-isolation``)
and installed with ``--no-index --no-deps`` into a venv created without pip, so its
site-packages holds that one package and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
OTHERS = ("harpia", "harpia_store", "harpia_router", "harpia_templates", "harpia_shield")


def run(*command: str | Path, cwd: Path | None = None, timeout: float = 60) -> str:
    """Run ``command`` (``timeout`` s at most) without the PYTHON* variables; its stdout."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def install_alone(package: str, module: str, tmp_path: Path, *absent: str) -> Path:
    """Install ``packages/<package>`` alone into a venv under ``tmp_path``; its python.

    Asserts that ``module`` is imported from that venv and that no other Harpia package
    (nor any of ``absent``, nor pip) can be imported there.
    """
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", wheels, PACKAGES / package)  # fmt: skip
    (wheel,) = wheels.glob("*.whl")  # packages/harpia builds harpia_framework-*.whl
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index",
        "--no-deps", wheel)  # fmt: skip
    unwanted = tuple(name for name in (*OTHERS, *absent, "pip") if name != module)
    probe = (
        f"import importlib.util as u, {module} as m; print(m.__file__);"
        f"print([n for n in {unwanted!r} if u.find_spec(n)])"
    )
    location, others = run(python, "-I", "-c", probe).splitlines()
    assert location.startswith(str(venv))
    assert others == "[]"
    return python
