"""Unknown server options: a ``TypeError`` naming the option, the valid ones and the
closest match — never ``Config.__init__()`` (an internal class)."""

from __future__ import annotations

import pytest

from harpia import Server, harpia
from harpia._server._config import OPTION_NAMES


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("prot", "port"), ("hostnme", "hostname"), ("worker", "workers"), ("acces_log", "access_log")],
)
def test_listen_typo_is_a_type_error_with_a_suggestion(typo: str, suggestion: str) -> None:
    app = harpia()
    with pytest.raises(TypeError) as caught:
        app.listen(**{typo: 1})  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"listen() got an unknown option {typo!r}")
    assert f"did you mean {suggestion!r}?" in message
    assert "valid options: access_log, backlog, body_timeout" in message
    assert "Config" not in message


async def test_serve_and_server_name_themselves() -> None:
    app = harpia()
    with pytest.raises(TypeError, match=r"^serve\(\) got an unknown option 'prot' — did you"):
        await app.serve(prot=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^Server\(\) got an unknown option 'zzz' \(valid"):
        Server(app, zzz=1)  # type: ignore[call-arg]


def test_every_option_is_listed_and_values_are_still_checked() -> None:
    assert {"port", "unix", "workers", "access_log", "on_listen", "driver"} <= set(OPTION_NAMES)
    with pytest.raises(TypeError, match="access_log must be a bool"):
        Server(harpia(), port=0, access_log="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="port must be an int"):
        Server(harpia(), port=-1)
