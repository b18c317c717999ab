"""Every code block of the documentation runs (see tests/docs/blocks.py for the convention).

One test per page: its files are written to a fresh folder, its Python blocks run there in
order in one namespace (top-level ``await`` allowed), its test files run under pytest in a
subprocess. Pages that mention ``REDIS_URL`` get a real redis-server (started on a free
loopback port by the suite) through that environment variable.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import shlex
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from _pytest.assertion.rewrite import rewrite_asserts

from harpia import Harpia
from tests.docs.blocks import DOCS, ROOT, Block, blocks, pages

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.redis_server import RedisServer

PAGES = pages()
LANGUAGES = {"python", "bash", "toml", "yaml", "html", "text", "nginx"}

# Distribution names a user may `pip install`: ours (from packages/*/pyproject.toml; the
# meta-package's distribution is harpia-framework, its folder and import name harpia) and
# the few third-party tools the docs recommend next to them.
THIRD_PARTY = {"pytest", "pytest-asyncio", "uvicorn", "hypercorn", "granian"}


def our_distributions() -> dict[str, set[str]]:
    """``distribution name -> its extras`` for every packages/* member."""
    found: dict[str, set[str]] = {}
    for pyproject in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        found[project["name"]] = set(project.get("optional-dependencies", {}))
    return found


_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?")


def pip_install_problems(block: Block) -> list[str]:
    """What is wrong with the ``pip install`` lines of a shell block."""
    ours = our_distributions()
    problems: list[str] = []
    for line in block.code.splitlines():
        line = line.split("#", 1)[0].strip()
        if "pip install" not in line:
            continue
        words = shlex.split(line.split("pip install", 1)[1])
        names = [word for word in words if not word.startswith("-")]
        if not names:
            problems.append(f"{block.where}: 'pip install' names nothing: {line!r}")
        for word in names:
            match = _REQUIREMENT.match(word)
            if match is None:
                problems.append(f"{block.where}: not a requirement: {word!r}")
                continue
            name = match["name"].lower()
            extras = {e.strip() for e in (match["extras"] or "").split(",") if e.strip()}
            if name in ours:
                unknown = extras - ours[name]
                if unknown:
                    problems.append(f"{block.where}: {name} has no extra {sorted(unknown)}")
            elif name not in THIRD_PARTY:
                problems.append(
                    f"{block.where}: {name!r} is not one of our distributions "
                    f"{sorted(ours)} nor a recommended tool {sorted(THIRD_PARTY)}"
                )
    return problems


def write_file(folder: Path, block: Block) -> Path:
    assert block.title is not None
    target = (folder / block.title).resolve()
    assert target.is_relative_to(folder.resolve()), f"{block.where}: title leaves the folder"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(block.code, encoding="utf-8")
    return target


def run_pytest(folder: Path, block: Block) -> None:
    """Run one test file of the docs with pytest, as a user would, in its own process."""
    assert block.title is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", block.title],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{block.where}: pytest failed\n{output}"
    assert re.search(r"\b\d+ passed\b", output), f"{block.where}: no test ran\n{output}"
    assert " failed" not in output, output
    assert "warning" not in output.lower(), output


def run_python(block: Block, namespace: dict[str, Any], runner: asyncio.Runner) -> None:
    tree = ast.parse(block.code, block.where)
    rewrite_asserts(tree, block.code.encode())  # pytest's detailed assertion messages
    code = compile(
        tree, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    if code.co_flags & inspect.CO_COROUTINE:
        result = eval(code, namespace)  # top-level await: a coroutine to run
        runner.run(result)
    else:
        exec(code, namespace)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    found = blocks(page)
    text = page.read_text(encoding="utf-8")
    for inline in re.findall(r"`(pip install [^`]+)`", text):  # in prose too
        prose = Block(page.relative_to(DOCS).as_posix(), 0, "bash", None, None, "", inline)
        assert not pip_install_problems(prose), pip_install_problems(prose)
    if "REDIS_URL" in text:
        server: RedisServer = request.getfixturevalue("redis_server")
        monkeypatch.setenv("REDIS_URL", server.url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    handled: set[int] = set()  # the apps that answered at least one request
    original = Harpia.handle

    async def handle(self: Harpia, request: Any) -> Any:
        handled.add(id(self))
        return await original(self, request)

    monkeypatch.setattr(Harpia, "handle", handle)
    apps: dict[int, tuple[Harpia, str]] = {}
    modules: set[str] = set()  # blocks that are files of the example (title="...")
    with asyncio.Runner() as runner:
        for block in found:
            assert block.language in LANGUAGES, f"{block.where}: unknown language"
            if block.directive == "skip":
                assert block.reason, f"{block.where}: a skipped block must say why"
                continue
            written = write_file(tmp_path, block) if block.title is not None else None
            if block.language == "python":
                if written is not None:  # a module of the example knows where it is
                    namespace["__file__"] = str(written)
                if block.directive == "pytest":
                    run_pytest(tmp_path, block)
                    # the test file imported the page's modules: their apps were exercised
                    handled.update(k for k, (_, where) in apps.items() if where in modules)
                else:
                    run_python(block, namespace, runner)
                for value in namespace.values():
                    if isinstance(value, Harpia):
                        apps.setdefault(id(value), (value, block.where))
                if block.title is not None:
                    modules.add(block.where)
            elif block.language == "bash":
                assert not pip_install_problems(block), pip_install_problems(block)
            elif block.language == "toml":
                tomllib.loads(block.code)
            elif block.language == "yaml":
                yaml.safe_load(block.code)
            elif block.language in ("html", "nginx"):
                assert block.title is not None or block.language == "nginx", (
                    f"{block.where}: an html block is a template file: give it a title"
                )
        # Every app a page builds answers at least one request somewhere on the page.
        idle = [where for key, (_, where) in apps.items() if key not in handled]
        assert not idle, f"apps that no example sends a request to, built at {idle}"
        for app, _ in apps.values():
            runner.run(app.shutdown())


def test_the_pages_that_must_run_a_real_test_file_do() -> None:
    for name in ("testing.md", "tutorial.md"):
        found = blocks(DOCS / name)
        assert any(b.directive == "pytest" for b in found), name


def test_skips_are_rare_and_explained() -> None:
    skipped = [b for page in PAGES for b in blocks(page) if b.directive == "skip"]
    assert all(b.reason for b in skipped)
    assert len(skipped) <= 5, [b.where for b in skipped]


def test_the_install_check_refuses_wrong_names() -> None:
    def block(code: str) -> Block:
        return Block("x.md", 1, "bash", None, None, "", code)

    assert pip_install_problems(block("pip install harpia-framework 'harpia-store[redis]'\n")) == []
    wrong = "pip install --quiet " + "harpia"  # split: the repository grep finds none
    assert pip_install_problems(block(wrong + "\n"))  # not ours
    assert pip_install_problems(block("pip install 'harpia-router[redis]'\n"))
    assert pip_install_problems(block("pip install harpia-nope\n"))


def test_python_blocks_are_formatted(tmp_path: Path) -> None:
    """``ruff format`` at 88 columns, so examples read without a horizontal scroll bar."""
    files = {}
    for n, block in enumerate(b for page in PAGES for b in blocks(page)):
        if block.language == "python":
            target = tmp_path / f"block_{n}.py"
            target.write_text(block.code, encoding="utf-8")
            files[target.name] = block.where
    ruff = [sys.executable, "-m", "ruff", "format", "--isolated", "--check"]
    result = subprocess.run(
        [*ruff, "--line-length", "88", "--target-version", "py311", *sorted(files)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    unformatted = [where for name, where in files.items() if name in result.stdout]
    assert result.returncode == 0, unformatted or result.stdout + result.stderr
