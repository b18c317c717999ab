"""Every distribution is licensed and describes itself the same way (pyproject.toml).

The licence is one MIT text: ``LICENSE`` at the root, copied into each package folder so
that a wheel or sdist built from that folder alone (``pip install packages/harpia-router``,
``python -m build``) ships it; these copies must never drift from the root one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path.parent for path in (ROOT / "packages").glob("*/pyproject.toml"))
REPOSITORY = "https://github.com/harpia-py/harpia"
DOCS = "https://harpia-py.github.io/harpia/"
DISTRIBUTIONS = {
    "harpia": "harpia-framework",
    "harpia-router": "harpia-router",
    "harpia-shield": "harpia-shield",
    "harpia-store": "harpia-store",
    "harpia-telemetry": "harpia-telemetry",
    "harpia-templates": "harpia-templates",
}
EVERY_PACKAGE_CLASSIFIERS = {
    "Intended Audience :: Developers",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
    "Typing :: Typed",
}


def project(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((folder / "pyproject.toml").read_text("utf-8"))
    return data


def test_the_six_packages_are_all_here() -> None:
    assert [folder.name for folder in PACKAGES] == sorted(DISTRIBUTIONS)


def test_the_root_licence_is_mit_for_the_contributors() -> None:
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "Harpia for Python contributors\n" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda folder: folder.name)
def test_each_package_ships_an_identical_copy_of_the_licence(folder: Path) -> None:
    assert (folder / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes(), (
        f"packages/{folder.name}/LICENSE differs from LICENSE: copy the root one there"
    )


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda folder: folder.name)
def test_each_pyproject_has_licence_classifiers_keywords_and_urls(folder: Path) -> None:
    data = project(folder)
    meta = data["project"]
    assert meta["name"] == DISTRIBUTIONS[folder.name]
    assert meta["license"] == "MIT"  # PEP 639 expression (hatchling >= 1.27)
    assert meta["license-files"] == ["LICENSE"]
    assert data["build-system"]["requires"] == ["hatchling>=1.27"]
    classifiers = set(meta["classifiers"])
    assert classifiers >= EVERY_PACKAGE_CLASSIFIERS
    # PEP 639: with a licence expression, "License ::" classifiers must not be given too
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert "harpia" in meta["keywords"]
    assert len(meta["keywords"]) >= 4
    assert meta["urls"] == {
        "Homepage": REPOSITORY,
        "Documentation": DOCS,
        "Source": f"{REPOSITORY}/tree/main/packages/{folder.name}",
        "Issues": f"{REPOSITORY}/issues",
    }
    assert meta["readme"] == "README.md"


def test_the_framework_extras_pull_what_their_parts_need() -> None:
    extras = project(ROOT / "packages" / "harpia")["project"]["optional-dependencies"]
    assert extras == {
        "watch": ["watchfiles>=0.21"],
        "redis": ["harpia-store[redis]>=0.1,<0.2"],
        "brotli": ["brotli>=1.1"],
        "zstd": ["zstandard>=0.22"],
    }
