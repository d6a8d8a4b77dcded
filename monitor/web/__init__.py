"""The review desk: notices, a notice, sources, comment deadlines, feeds, exports and a read-only JSON API
(Starlette, Jinja2, uvicorn). Imported only by `cgt-monitor serve` and by a daemon with [web] enabled."""
