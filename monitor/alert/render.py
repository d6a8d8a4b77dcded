"""Alert messages per format: HTML e-mail, Markdown for chat, plain text (WeCom's 2,048-character cap).

Titles come from third-party pages: they are escaped for HTML and Markdown, never trusted as markup.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

if TYPE_CHECKING:
    from jinja2 import Environment

from monitor.classify.taxonomy import doc_type_label
from monitor.extract.text import cap

Format = Literal["text", "markdown", "html"]

_TEMPLATES = {"text": "alert.txt.j2", "markdown": "alert.md.j2", "html": "alert.html.j2"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def _markdown_escape(value: object) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))


def _markdown_url(value: object) -> str:
    """A link target that cannot end the link early: spaces, brackets and parentheses percent-encoded."""
    return quote(str(value), safe=":/?#@!$&'*+,;=%~.-_")


@lru_cache(maxsize=1)
def _templates() -> Environment:
    """Loaded at the first alert, not at start: a check that alerts nobody never needs Jinja."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("monitor.alert", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _markdown_escape
    env.filters["mdurl"] = _markdown_url
    return env


_LEVEL_LINES = {
    "title": "title (the title is about CGT)",
    "body": "body (a general title; the text treats CGT)",
    "none": "none (not about CGT; sent by the subscription's filters)",
}


@dataclass(frozen=True)
class AlertNotice:
    title: str
    url: str
    agency: str
    region: str
    published: dt.date | None
    doc_type: str | None
    deadline: dt.date | None
    terms: tuple[str, ...]
    topics: tuple[str, ...]
    kind: str = "new"
    gloss: str = ""  # a line of English for readers who do not read Chinese
    document_number: str | None = None
    also: tuple[tuple[str, str], ...] = ()  # (agency, url) of the same document on other sources
    level: str = "title"  # a values.Level: where CGT was found
    passage: str | None = None  # for the body level, the sentence of the text that treats CGT
    desk_url: str | None = None  # the notice on the review desk ([web] public_url), where it is marked

    @property
    def level_line(self) -> str:
        return _LEVEL_LINES.get(self.level, self.level)

    @property
    def doc_type_label(self) -> str:
        return doc_type_label(self.doc_type)

    @property
    def reason(self) -> str:
        if not self.terms:
            return "matched the subscription's filters"
        return "matched " + ", ".join(self.terms) + (f" ({', '.join(self.topics)})" if self.topics else "")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    format: Format = "text"
    extra: dict[str, str] = field(default_factory=dict)


# Long official titles (two guideline names and a document number) are common. A subject stays readable
# and, however the mail library folds it, far below SMTP's 998-character line limit: ~90 CJK characters
# are ~400 encoded. The whole title is always in the body.
SUBJECT_MAX_CHARS = 90


def _subject(notices: list[AlertNotice], digest: bool) -> str:
    if digest or len(notices) > 1:
        agencies = sorted({n.agency for n in notices})
        subject = f"[cgt-monitor] {len(notices)} new notices: {', '.join(agencies)}"
    else:
        subject = f"[cgt-monitor] {notices[0].agency}: {notices[0].title}"
    return cap(subject, SUBJECT_MAX_CHARS)


def _groups(notices: list[AlertNotice], digest: bool) -> list[tuple[str, list[AlertNotice]]]:
    if not digest:
        return [("", notices)]

    def key(n: AlertNotice) -> tuple[str, str]:
        return (n.agency, n.doc_type_label or "other")

    ordered = sorted(notices, key=lambda n: (*key(n), n.title))
    return [(f"{agency} — {kind}", list(items)) for (agency, kind), items in groupby(ordered, key=key)]


def render(
    notices: list[AlertNotice],
    format: Format = "html",
    digest: bool = False,
    limit: int | None = None,
    more_url: str | None = None,
) -> Message:
    """One message for these notices. With `limit` (UTF-8 bytes, which never undercounts a character cap), as
    many notices as fit, then "… and N more"."""
    template = _templates().get_template(_TEMPLATES[format])
    subject = _subject(notices, digest)
    shown = list(notices)
    while True:
        body = (
            template.render(
                groups=_groups(shown, digest), digest=digest, omitted=len(notices) - len(shown), more_url=more_url
            ).strip()
            + "\n"
        )
        if limit is None or len(body.encode()) <= limit:
            return Message(subject, body, format)
        if len(shown) > 1:
            shown.pop()
            continue
        # one notice longer than the cap: keep its link and the head of its text
        tail = f"…\n{notices[0].url}\n"
        head = body.encode()[: max(0, limit - len(tail.encode()))].decode(errors="ignore")
        return Message(subject, head + tail, format)


@dataclass(frozen=True)
class OpsEvent:
    subject_kind: str  # source, channel, database
    subject: str
    event: str  # opened, resolved
    reason: str
    since: dt.datetime
    resolved: dt.datetime | None = None


def render_ops(event: OpsEvent, format: Format = "text") -> Message:
    what = f"{event.subject_kind} '{event.subject}'"
    if event.event == "opened":
        subject = f"[cgt-monitor ops] {what} is failing"
        headline = f"The {what} stopped working."
    else:
        subject = f"[cgt-monitor ops] {what} recovered"
        headline = f"The {what} works again."
    body = (
        _templates()
        .get_template("ops.txt.j2")
        .render(
            headline=headline,
            detail=event.reason,
            since=event.since.isoformat(timespec="minutes"),
            resolved=event.resolved.isoformat(timespec="minutes") if event.resolved else None,
        )
    )
    if format == "html":
        body = "<html><body><pre>" + html.escape(body) + "</pre></body></html>"
    return Message(subject, body.strip() + "\n", format)
