"""The wheelhouse, built once per test session: our 12 artefacts and the third-party wheels.

``dist``: ``scripts/dist DIR`` — the six wheels and six sdists, checked by ``twine check
--strict`` (the script fails, and so does every test using it, when a build or the check
fails: never a skip).

``deps``: the third-party wheels our wheels require (with the ``redis`` extra), fetched
with ``pip download`` at the versions the dev venv holds (so pip's cache answers) — before
any install, so that every install is ``--no-index`` and can never reach the unrelated
``harpia`` project of the public index.
"""

from __future__ import annotations

import sys
import time
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib.metadata import distributions
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.wheel import run

if TYPE_CHECKING:
    from collections.abc import Iterable

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "harpia-framework",
    "harpia-router",
    "harpia-shield",
    "harpia-store",
    "harpia-telemetry",
    "harpia-templates",
}
EXTRAS = ("redis",)  # the extras whose requirements the wheelhouse also holds
BUILD_TIMEOUT = 300.0  # seconds for scripts/dist (about 5 s here)
DOWNLOAD_TIMEOUT = 300.0  # seconds for pip download (a few seconds with a warm cache)


@dataclass(frozen=True, slots=True)
class Wheelhouse:
    """Where the artefacts are, and what building them printed and cost."""

    dist: Path
    deps: Path
    twine_report: str
    build_seconds: float
    download_seconds: float

    def find_links(self) -> list[str]:
        """``pip install`` options that reach these two folders and nothing else."""
        return ["--no-index", "--find-links", str(self.dist), "--find-links", str(self.deps)]


def requires(wheel: Path) -> list[Requirement]:
    """The ``Requires-Dist`` of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]


def third_party(wheels: Iterable[Path]) -> list[str]:
    """Requirements of ``wheels`` on other projects, base and ``EXTRAS`` ones, sorted."""
    found: set[str] = set()
    for wheel in wheels:
        for requirement in requires(wheel):
            if canonicalize_name(requirement.name) in OURS:
                continue
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *EXTRAS)):
                requirement.marker = None
                found.add(str(requirement))
    return sorted(found)


def dev_venv_pins() -> str:
    """``name==version`` of every distribution of this interpreter but ours."""
    pins = {
        f"{canonicalize_name(dist.metadata['Name'])}=={dist.version}"
        for dist in distributions()
        if canonicalize_name(dist.metadata["Name"]) not in OURS
    }
    return "\n".join(sorted(pins)) + "\n"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    root = tmp_path_factory.mktemp("wheelhouse")
    dist, deps = root / "dist", root / "deps"
    started = time.monotonic()
    report = run(ROOT / "scripts" / "dist", dist, cwd=ROOT, timeout=BUILD_TIMEOUT)
    built = time.monotonic() - started
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 6, sorted(p.name for p in dist.iterdir())

    (root / "requirements.txt").write_text("\n".join(third_party(wheels)) + "\n")
    (root / "constraints.txt").write_text(dev_venv_pins())
    started = time.monotonic()
    run(sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
        "--dest", deps, "--constraint", root / "constraints.txt",
        "--requirement", root / "requirements.txt", timeout=DOWNLOAD_TIMEOUT)  # fmt: skip
    downloaded = time.monotonic() - started
    assert not [path.name for path in deps.iterdir() if path.name.startswith("harpia")]
    return Wheelhouse(dist, deps, report, built, downloaded)
