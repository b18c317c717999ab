"""The app under test: ``GET /hello`` on harpia's native server, telemetry off or on.

.venv/bin/python bench/telemetry/app.py --port 8000 --telemetry memory
.venv/bin/python bench/telemetry/app.py --port 8000 --telemetry redis --redis-url redis://...
"""

from __future__ import annotations

import argparse

from harpia import Request, Response, harpia
from harpia_store import RedisStore
from harpia_telemetry import Telemetry


def hello(req: Request, res: Response) -> None:
    res.text("Hello, World!")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--telemetry", choices=("off", "memory", "redis"), default="off")
    parser.add_argument("--redis-url")
    parser.add_argument("--prefix", default="bench:")
    args = parser.parse_args(argv)
    app = harpia()
    if args.telemetry == "memory":
        app.use(Telemetry().middleware())
    elif args.telemetry == "redis":
        app.use(Telemetry(RedisStore(args.redis_url, prefix=args.prefix)).middleware())
    app.get("/hello", hello)
    app.listen(port=args.port, hostname="127.0.0.1", development=False)


if __name__ == "__main__":
    main()
