"""Alert messages: a subject and a body per format, from Jinja2 templates. Titles are escaped in HTML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

DOC_TYPE_LABELS = {
    "guideline": "guideline 指导原则",
    "draft_for_comment": "draft for comment 征求意见稿",
    "regulation": "regulation 法规/规章",
    "announcement": "announcement 公告/通告",
    "notice": "notice 通知",
    "approval": "approval 审批",
    "policy": "policy 政策",
    "interpretation": "interpretation 解读",
    "qa": "Q&A 问答",
}

_env = Environment(
    loader=PackageLoader("monitor.alert", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


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

    @property
    def doc_type_label(self) -> str:
        return DOC_TYPE_LABELS.get(self.doc_type or "", self.doc_type or "")

    @property
    def reason(self) -> str:
        if not self.terms:
            return "matched the subscription's filters"
        return "matched " + ", ".join(self.terms) + (f" ({', '.join(self.topics)})" if self.topics else "")


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def render(notices: list[AlertNotice], digest: bool = False) -> Message:
    if digest or len(notices) > 1:
        agencies = sorted({n.agency for n in notices})
        subject = f"[cgt-monitor] {len(notices)} new notices: {', '.join(agencies)}"
        notices = sorted(notices, key=lambda n: (n.agency, n.doc_type or "", n.title))
    else:
        only = notices[0]
        subject = f"[cgt-monitor] {only.agency}: {only.title}"
    context = {"notices": notices}
    return Message(
        subject=subject,
        text=_env.get_template("alert.txt.j2").render(context).strip() + "\n",
        html=_env.get_template("alert.html.j2").render(context),
    )
