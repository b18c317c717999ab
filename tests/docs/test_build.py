"""The documentation site builds with ``mkdocs build --strict``: a warning, a broken link or
anchor, a page missing from the navigation or an API reference that does not resolve fails
the test suite. Never skipped: MkDocs and its plugins are dev requirements."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.docs.blocks import ROOT

if TYPE_CHECKING:
    from pathlib import Path


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``--strict``; the build must pass without a warning."""
    target = tmp_path_factory.mktemp("docs") / "site"
    result = mkdocs_build(ROOT / "mkdocs.yml", target)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    return target


def test_the_site_builds_strictly(site: Path) -> None:
    for page in ("index.html", "testing/index.html", "reference/harpia/index.html"):
        assert (site / page).is_file(), page
    reference = (site / "reference" / "harpia" / "index.html").read_text("utf-8")
    for name in ("harpia.Harpia", "harpia.HTTPError", "harpia.TestClient", "harpia.Request"):
        assert f'id="{name}"' in reference, name  # generated from the docstrings


PACKAGES = {
    "harpia": "harpia",
    "harpia_store": "harpia-store",
    "harpia_router": "harpia-router",
    "harpia_templates": "harpia-templates",
    "harpia_shield": "harpia-shield",
    "harpia_telemetry": "harpia-telemetry",
}


def test_the_reference_documents_every_public_name(site: Path) -> None:
    """Each name in a package's ``__all__`` has an entry on the reference page of the
    distribution that defines it (``harpia.MemoryStore`` is documented by harpia-store)."""
    missing = []
    for package, page in PACKAGES.items():
        module = importlib.import_module(package)
        for name in module.__all__:
            if name.startswith("__"):
                continue
            home = getattr(getattr(module, name), "__module__", package).split(".")[0]
            html = site / "reference" / PACKAGES.get(home, page) / "index.html"
            if f'id="{home}.{name}"' not in html.read_text(encoding="utf-8"):
                missing.append(f"{home}.{name}")
    assert not missing, missing


def _broken_site(tmp_path: Path, page: str) -> Path:
    """A copy of the site's configuration whose only page is ``page``."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    handlers = config["plugins"][1]["mkdocstrings"]["handlers"]["python"]
    handlers["paths"] = [str(ROOT / path) for path in handlers["paths"]]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(page, encoding="utf-8")
    config.update(docs_dir=str(docs), nav=[{"Home": "index.md"}])
    target = tmp_path / "mkdocs.yml"
    target.write_text(yaml.safe_dump(config), encoding="utf-8")
    return target


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    config = _broken_site(tmp_path, "# Home\n\nSee [the guide](guide/nowhere.md).\n")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "guide/nowhere.md" in result.stdout + result.stderr


def test_a_missing_api_reference_fails_the_build(tmp_path: Path) -> None:
    config = _broken_site(tmp_path, "# Home\n\n::: harpia.NoSuchThing\n")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "NoSuchThing" in result.stdout + result.stderr
