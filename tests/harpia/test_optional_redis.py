"""Without redis-py, the Redis parts say what to install; everything else still imports.

Each case runs in a fresh interpreter where ``import redis`` fails as it does when the
package is not installed (``sys.modules["redis"] = None`` makes the import raise
``ImportError``), whatever the test venv holds.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_REDIS = """
import sys
sys.modules["redis"] = None
import harpia
app = harpia.harpia()  # the framework itself needs no redis-py
try:
    {call}
except ImportError as exc:
    print(type(exc).__name__, exc, sep=": ")
else:
    print("no error")
"""


@pytest.mark.parametrize(
    ("call", "advice"),
    [
        ("harpia.RedisPubSub('redis://127.0.0.1:1/0')", "harpia-framework[redis]"),
        ("harpia.RedisStore('redis://127.0.0.1:1/0')", "harpia-store[redis]"),
    ],
    ids=["RedisPubSub", "RedisStore"],
)
def test_a_redis_part_without_redis_py_names_the_extra_to_install(call: str, advice: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_REDIS.format(call=call)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    name = call.split("(")[0].removeprefix("harpia.")
    assert done.stdout.strip() == (
        f"ImportError: {name} needs the redis package: pip install '{advice}'"
    )
