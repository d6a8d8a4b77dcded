"""Facts a specialist looks for in a notice: comment deadline, contact, document number."""

from __future__ import annotations

import datetime as dt
import re

_DATE = r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_DEADLINE = re.compile(
    rf"(?:截止|截至|反馈|前将|之前|以前|时间为|期限)[^。；;]{{0,30}}?{_DATE}"
    rf"|{_DATE}\s*(?:前|之前|以前|止)"
)
# 国药监药注〔2023〕12号, 国卫科教发〔2023〕4号, 药审中心〔2021〕 with the brackets agencies use
_DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fa5]{2,12}\s*[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d{1,4}\s*号")
_BRACKETED_YEAR = re.compile(r"[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]")  # cheap test before the full pattern
_CONTACT = re.compile(r"联\s*系\s*人[:：\s]*([^\s，,；;。：:]{2,8})")
_PHONE = re.compile(r"(?:电话|联系电话)[:：\s]*([0-9\-—（）()\s]{7,20}\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def find_deadline(text: str) -> dt.date | None:
    for match in _DEADLINE.finditer(text):
        year, month, day = (g for g in match.groups() if g is not None)
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


def find_document_number(text: str) -> str | None:
    if not _BRACKETED_YEAR.search(text):
        return None
    match = _DOCUMENT_NUMBER.search(text)
    return re.sub(r"\s+", "", match.group(0)) if match else None


def find_contact(text: str) -> str | None:
    parts = []
    if person := _CONTACT.search(text):
        parts.append(person.group(1))
    if phone := _PHONE.search(text):
        parts.append(phone.group(1).strip())
    if email := _EMAIL.search(text):
        parts.append(email.group(0))
    return ", ".join(parts) or None
