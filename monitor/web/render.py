"""Templates and the filters they use: times in the configured zone (labelled), matched terms highlighted."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from monitor.classify.taxonomy import doc_type_label
from monitor.store.export import local_time
from monitor.web import auth

HERE = Path(__file__).resolve().parent
REVIEW_LABELS = {
    "relevant": "relevant",
    "not_relevant": "not relevant",
    "assigned": "assigned",
    "done": "done",
    "unreviewed": "unreviewed",
}
ORIGIN_LABELS = {"new": "new", "baseline": "baseline", "backfill": "back-filled"}


def highlight(text: str | None, terms: list[str] | tuple[str, ...] | None) -> Markup:
    """`text` escaped, each occurrence of a term in <mark>."""
    if not text:
        return Markup("")
    wanted = sorted({term for term in terms or () if term and term.strip()}, key=len, reverse=True)
    if not wanted:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in wanted), re.IGNORECASE)
    out, last = [], 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(Markup("<mark>") + escape(found.group(0)) + Markup("</mark>"))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def make_templates(timezone: str) -> Jinja2Templates:
    # autoescape on for every template: titles and texts come from other people's sites
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)
    env.filters["when"] = lambda moment: local_time(moment, timezone)
    env.filters["highlight"] = highlight
    env.filters["doc_type"] = doc_type_label
    env.filters["review_label"] = lambda state: REVIEW_LABELS.get(state or "unreviewed", state)
    env.filters["origin_label"] = lambda origin: ORIGIN_LABELS.get(str(origin), str(origin))
    env.globals["timezone"] = timezone
    return templates


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    visitor = auth.visitor(request)
    today = dt.datetime.now(dt.UTC)
    return templates.TemplateResponse(
        request,
        template,
        {"visitor": visitor, "csrf": auth.csrf_token(request), "now": today, **context},
        status_code=status_code,
    )
