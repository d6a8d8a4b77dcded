"""A store full of notices, written fast with bulk inserts: for the desk's tests, `bench/review.py` and trying
the desk out. Titles are modelled on real regulators' notices; the same arguments give the same store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.models import Change, Notice, Run, SourceState

SOURCES = (
    ("nmpa-ggtg", "NMPA", "CN"),
    ("cde-zdyz", "CDE", "CN"),
    ("nhc-gfxwj", "NHC", "CN"),
    ("gdmpa-tzgg", "GDMPA", "CN-GD"),
    ("szmqs-tzgg", "SZAMR", "CN-GD-SZ"),
)

# (title, gloss, relevant, doc_type, topics, terms)
TEMPLATES: tuple[tuple[str, str, bool, str, list[str], list[str]], ...] = (
    (
        "国家药监局药审中心关于公开征求《{n}细胞治疗产品药学研究技术指导原则（征求意见稿）》意见的通知",
        "CDE seeks comments on draft guideline on pharmaceutical research of cell therapy products",
        True,
        "draft_for_comment",
        ["cell_therapy"],
        ["细胞治疗"],
    ),
    (
        "国家药监局药审中心关于发布《体内基因治疗产品{n}技术指导原则（试行）》的通告",
        "CDE issues guideline on in vivo gene therapy products",
        True,
        "guideline",
        ["gene_therapy"],
        ["基因治疗"],
    ),
    (
        "关于印发干细胞临床研究管理办法{n}的通知",
        "Notice on measures for stem cell clinical research",
        True,
        "regulation",
        ["cell_therapy", "regenerative_medicine"],
        ["干细胞"],
    ),
    (
        "国家药监局关于注销复方甘草片等{n}个药品注册证书的公告",
        "NMPA cancels drug registration certificates",
        False,
        "announcement",
        [],
        [],
    ),
    (
        "关于进一步加强医疗机构{n}药品管理工作的通知",
        "Notice on strengthening drug management in medical institutions",
        False,
        "notice",
        [],
        [],
    ),
)


@dataclass(frozen=True)
class Seeded:
    notices: int
    newest: dt.date


def seed_notices(sessions: sessionmaker[Session], count: int, today: dt.date | None = None) -> Seeded:
    """`count` notices over the sources above, one per template in turn, dated back from `today`; the first
    fifth arrive at each source's baseline, the rest are alerted as new (a change row each)."""
    today = today or dt.date.today()
    baseline_at = dt.datetime.combine(today - dt.timedelta(days=count // 20 + 2), dt.time(1), dt.UTC)
    with sessions.begin() as session:
        for name, agency, region in SOURCES:
            session.add(
                SourceState(
                    name=name,
                    agency=agency,
                    region=region,
                    url=f"https://{name}.example.gov.cn/list.html",
                    baselined=True,
                    status="ok",
                    item_count=20,
                    last_checked_at=baseline_at,
                    last_ok_at=baseline_at,
                )
            )
            session.add(
                Run(
                    source_name=name,
                    started_at=baseline_at,
                    finished_at=baseline_at,
                    outcome="baseline",
                    items=20,
                )
            )
        session.flush()
        notices: list[dict[str, object]] = []
        changes: list[dict[str, object]] = []
        for index in range(count):
            title, gloss, relevant, doc_type, topics, terms = TEMPLATES[index % len(TEMPLATES)]
            name, _, _ = SOURCES[(index // len(TEMPLATES)) % len(SOURCES)]
            published = today - dt.timedelta(days=(count - 1 - index) // 20)
            baseline = index < count // 5
            seen = baseline_at if baseline else dt.datetime.combine(published, dt.time(2), dt.UTC)
            deadline = published + dt.timedelta(days=30) if doc_type == "draft_for_comment" else None
            notices.append(
                {
                    "source_name": name,
                    "key": f"{name}-{index}",
                    "title": title.format(n=f"第{index}号"),
                    "url": f"https://{name}.example.gov.cn/c/{index}.html",
                    "published": published,
                    "listed": False,
                    "first_seen_at": seen,
                    "last_seen_at": seen,
                    "relevant": relevant,
                    "score": 3.0 if relevant else 0.0,
                    "level": "title" if relevant else "none",  # the seeded titles name CGT themselves
                    "terms": terms,
                    "topics": topics,
                    "doc_type": doc_type,
                    "deadline": deadline,
                    "gloss": gloss,
                    "body": "为规范和指导相关产品的研究与评价，制定本指导原则。" if relevant else None,
                }
            )
            if not baseline:
                changes.append(
                    {
                        "key": notices[-1]["key"],
                        "source_name": name,
                        "kind": "new",
                        "detected_at": seen,
                        "title": notices[-1]["title"],
                        "url": notices[-1]["url"],
                        "published": published,
                        "relevant": relevant,
                        "score": notices[-1]["score"],
                        "previous": {},
                    }
                )
        for start in range(0, len(notices), 5000):
            session.execute(insert(Notice), notices[start : start + 5000])
        # ids as the database gave them (explicit ones would leave PostgreSQL's sequence behind)
        names = [name for name, _, _ in SOURCES]
        found = session.execute(select(Notice.key, Notice.id).where(Notice.source_name.in_(names)))
        id_of: dict[str, int] = {key: notice_id for key, notice_id in found}
        for change in changes:
            change["notice_id"] = id_of[str(change.pop("key"))]
        for start in range(0, len(changes), 5000):
            session.execute(insert(Change), changes[start : start + 5000])
    return Seeded(count, today)
