"""`cgt-monitor show ID`: one notice whole, as lines for the terminal (links on lines of their own)."""

from __future__ import annotations

from rich.text import Text

from monitor.classify.taxonomy import doc_type_label
from monitor.store.detail import NoticeDetail
from monitor.store.export import local_time


def _heading(label: str) -> Text:
    return Text(f"\n{label}", style="bold underline")


def notice_lines(detail: NoticeDetail, timezone: str) -> list[Text]:
    notice, row, source = detail.notice, detail.row, detail.source
    lines = [Text(f"#{notice.id}  {notice.title}", style="bold")]
    if notice.gloss:
        lines.append(Text(notice.gloss, style="italic"))
    facts: list[tuple[str, str | None]] = [
        ("agency", f"{source.agency} ({source.region}), source {source.name}"),
        ("published", notice.published.isoformat() if notice.published else "undated"),
        ("first seen", local_time(notice.first_seen_at, timezone)),
        ("last seen", local_time(notice.last_seen_at, timezone)),
        ("gone", local_time(notice.gone_at, timezone) if notice.gone_at else None),
        ("origin", {"new": "new (alerted)", "baseline": "baseline", "backfill": "back-filled"}[str(row.origin)]),
        ("relevant", f"{'yes' if notice.relevant else 'no'} (score {notice.score:+.1f})"),
        ("why", ", ".join(notice.terms or []) or None),
        ("topics", ", ".join(notice.topics or []) or None),
        ("doc type", doc_type_label(notice.doc_type) or None),
        ("document no.", notice.document_number),
        ("comments by", notice.deadline.isoformat() if notice.deadline else None),
        ("comments to", notice.contact),
        ("review", (row.review or "unreviewed").replace("_", " ") + (f" → {row.assignee}" if row.assignee else "")),
    ]
    for label, value in facts:
        if value:
            lines.append(Text.assemble((f"{label:>13}: ", "dim"), value))
    lines.append(Text(notice.url, style="blue"))
    if notice.body:
        lines += [_heading("text"), Text(notice.body)]
    if notice.detail_error:
        lines.append(Text(f"detail page not read: {notice.detail_error}", style="yellow"))
    if notice.attachments:
        lines.append(_heading("attachments"))
        for attachment in notice.attachments:
            lines.append(Text(str(attachment.get("name") or attachment.get("url") or "attachment")))
            if attachment.get("url"):
                lines.append(Text(str(attachment["url"]), style="blue"))
    if notice.attachment_text:
        lines += [_heading("attachment text"), Text(notice.attachment_text)]
    if detail.sightings:
        lines.append(_heading("also seen on"))
        for other in detail.sightings:
            lines += [Text(f"#{other.id}  {other.agency} {other.source}  {other.title}"), Text(other.url, style="blue")]
    if detail.family:
        lines.append(_heading("family"))
        for stage, member in detail.family:
            pointer = "→ " if member.id == notice.id else "  "
            when = member.published.isoformat() if member.published else "undated"
            lines.append(Text(f"{pointer}{stage:<14} #{member.id}  {when}  {member.title}"))
    if detail.deliveries:
        lines.append(_heading("alerts"))
        for delivery in detail.deliveries:
            sent = local_time(delivery.sent_at, timezone) if delivery.sent_at else ""
            lines.append(Text(f"{delivery.subscription} → {delivery.channel}: {delivery.status} {sent}".rstrip()))
    if detail.marks:
        lines.append(_heading("review history"))
        for mark in detail.marks:
            state = mark.state.value.replace("_", " ") + (f" → {mark.assignee}" if mark.assignee else "")
            lines.append(Text(f"{local_time(mark.at, timezone)}  {mark.user}: {state}"))
            if mark.note:
                lines.append(Text(f"    {mark.note}"))
    return lines
