"""The showcase: a shared bookshelf built from every piece of Harpia.

Run it with ``scripts/showcase`` (it prints the URL, the dashboard token and what to
try), with ``harpia run examples.showcase.app:app``, or under any ASGI server:
``uvicorn examples.showcase.app:app``. With ``REDIS_URL`` set it runs on several workers:
``scripts/showcase --workers 2``.

Where to look:

- ``app.py`` (here): the app, its middlewares in order, and what is mounted where;
- ``auth.py``: sign-in/out with a server-side session, CSRF, flash messages;
- ``pages.py``: the HTML pages, the cover upload, delete through method override;
- ``api.py``: the JSON API with the HTTP cache (ETag, 304) and CORS;
- ``live.py``: the WebSocket feed; ``shelf.py``: the books in a store;
- ``templates/``: a layout, pages and components; ``static/``: CSS and images.
"""

from __future__ import annotations

from harpia import Request, Response, Telemetry, TemplateEngine, harpia

from . import api, auth, live, pages
from .settings import (
    API_ORIGIN,
    DASHBOARD_TOKEN,
    REDIS_URL,
    STATIC,
    TEMPLATES,
    UPLOADS,
    make_pubsub,
    store,
)
from .shelf import shelf

app = harpia()

# 1. Telemetry first, so it times everything after it. The dashboard needs the token.
#    With Redis every worker counts into the same keys; without, its own MemoryStore.
telemetry = Telemetry(
    store if REDIS_URL else None,
    ignore=["/static/*", "/covers/*", "/favicon.ico"],
    access_token=DASHBOARD_TOKEN,
)
app.use(telemetry.middleware())
app.routes(telemetry.dashboard("/_telemetry"))  # GET /_telemetry?token=...

# 2. Security headers on every response, with a fresh CSP nonce per request: the page's
#    one inline script carries it (generateNonce() in templates/layouts/base.html).
app.shield(use_nonce=True)

# 3. CORS for the JSON API only, for one other origin (a front end on its own port).
app.cors(
    {
        "origin": API_ORIGIN,
        "credentials": True,  # the session cookie goes along
        "allowed_headers": ["Content-Type", "X-CSRF-Token"],
        "exposed_headers": ["ETag", "Location"],
        "max_age": 600,
    },
    path="/api",
)

# 4. Sessions, then CSRF (it binds each token to the session id): every POST, PUT,
#    PATCH and DELETE needs a valid token, from a form's _csrf field or X-CSRF-Token.
app.use(auth.session.middleware())
app.use(auth.csrf.middleware())

# 5. Templates: views, layouts and components, compiled once.
engine = TemplateEngine(
    path={
        "views": str(TEMPLATES / "pages"),
        "layouts": str(TEMPLATES / "layouts"),
        "components": str(TEMPLATES / "components"),
    },
)
engine.configure(app)

# 6. Static files (ETag, Last-Modified, 304, ranges) with how long browsers may keep them.
app.static(STATIC, url_path="/static", max_age=3600)
app.static(UPLOADS, url_path="/covers", max_age=31_536_000)  # covers never change

# 7. The routes.
app.routes(pages.router)
app.routes(auth.router)
app.routes(api.router)
app.routes(live.router)

# 8. WebSocket pub/sub through Redis when configured, so every worker gets every message.
app.pubsub(make_pubsub())


@app.get("/health")
def health(req: Request, res: Response) -> dict[str, str]:
    return {"status": "ok"}


@app.on_startup
async def start() -> None:
    await shelf.seed()
    where = f"Redis at {REDIS_URL}" if REDIS_URL else "an in-process MemoryStore"
    print(f"showcase: data in {where}; dashboard: /_telemetry?token={DASHBOARD_TOKEN}")
