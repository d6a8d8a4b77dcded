"""The desk's pages over a real store: filters, search, a notice whole, sources, deadlines; who may read and
who may write; CSRF."""

from __future__ import annotations

import re

from monitor.store.db import write_transaction
from monitor.store.models import Run, utcnow
from tests.web.conftest import TODAY, csrf_of, sign_in


def count(html: str) -> int:
    found = re.search(r'id="count">([\d,]+) notices?', html)
    assert found, html[:500]
    return int(found.group(1).replace(",", ""))


def first_notice_id(html: str) -> int:
    return int(re.search(r'href="/notices/(\d+)"', html).group(1))


def test_outside_the_read_networks_reading_needs_a_sign_in(outsider):
    answer = outsider.get("/?q=细胞", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/%3Fq%3D")
    assert outsider.get("/api/notices").status_code == 401
    assert outsider.get("/feeds/notices.atom").status_code == 401
    sign_in(outsider, "zhao")
    assert count(outsider.get("/").text) == 125


def test_a_wrong_password_or_a_forged_form_does_not_sign_in(outsider):
    token = csrf_of(outsider.get("/login").text)
    wrong = outsider.post("/login", data={"user": "li", "password": "nope-nope", "csrf": token})
    assert wrong.status_code == 401 and "do not match" in wrong.text
    forged = outsider.post("/login", data={"user": "li", "password": "reviewer-pass-1", "csrf": "forged"})
    assert forged.status_code == 403
    assert outsider.get("/", follow_redirects=False).status_code == 303
    # a sign-in never sends the browser to another site
    token = csrf_of(outsider.get("/login").text)
    answer = outsider.post(
        "/login",
        data={"user": "li", "password": "reviewer-pass-1", "csrf": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_the_notices_page_filters_searches_and_paginates(local):
    page = local.get("/")
    assert page.status_code == 200 and count(page.text) == 125
    assert "page 1 of 3" in page.text and 'rel="next"' in page.text
    assert "baseline" in page.text or "baseline" in local.get("/?page=3").text
    assert count(local.get("/?relevance=relevant").text) == 75
    assert count(local.get("/?agency=CDE&relevance=relevant").text) == 15
    assert count(local.get("/?region=CN-GD").text) == 50  # the province and its city
    assert count(local.get("/?doc_type=draft_for_comment").text) == 25
    assert count(local.get("/?topic=gene_therapy").text) == 25
    assert count(local.get("/?origin=baseline").text) == 25
    assert count(local.get(f"/?since={TODAY.isoformat()}&until={TODAY.isoformat()}").text) == 20
    chinese = local.get("/?q=基因治疗")
    assert count(chinese.text) == 25 and "<mark>基因治疗</mark>" in chinese.text
    assert count(local.get("/?q=in+vivo+gene").text) == 25  # English, in the gloss
    assert count(local.get("/?q=干细胞+管理办法&relevance=relevant").text) == 25
    next_page = local.get("/?relevance=relevant&page=2")
    assert 'href="/?relevance=relevant&amp;page=1"' in next_page.text  # the filters stay in the links
    assert local.get("/?since=yesterday").status_code == 400
    assert local.get("/?doc_type=memo").status_code == 400
    assert local.get("/?page=0").status_code == 400


def test_a_notice_page_shows_the_notice_whole(local):
    notice_id = first_notice_id(local.get("/?q=细胞治疗产品药学研究").text)
    page = local.get(f"/notices/{notice_id}")
    assert page.status_code == 200
    text = page.text
    assert "细胞治疗产品药学研究" in text and "CDE seeks comments" in text  # the title and its English gloss
    assert "Comments by" in text and "draft for comment" in text.lower()
    assert "<mark>细胞治疗</mark>" in text  # the matched term, highlighted
    assert "Asia/Shanghai" in text  # times labelled with their zone
    assert "Sign in</a> to mark this notice" in text  # read-only for an anonymous reader
    assert local.get("/notices/999999").status_code == 404


def test_a_reviewer_marks_a_notice_and_the_history_is_kept(outsider):
    sign_in(outsider, "li")
    notice_id = first_notice_id(outsider.get("/?relevance=relevant").text)
    page = outsider.get(f"/notices/{notice_id}")
    token = csrf_of(page.text.split('action="/notices/')[1])
    first = outsider.post(
        f"/notices/{notice_id}/review",
        data={"csrf": token, "state": "assigned", "assignee": "wang", "note": "请王老师看"},
        follow_redirects=False,
    )
    assert first.status_code == 303
    outsider.post(f"/notices/{notice_id}/review", data={"csrf": token, "state": "done", "note": "已处理"})
    history = outsider.get(f"/notices/{notice_id}").text.split('<ol class="history">')[1]
    assert history.index("已处理") < history.index("请王老师看")  # the latest first
    assert "assigned → wang" in history and "by <strong>li</strong>" in history
    assert count(outsider.get("/?review=done").text) == 1
    assert count(outsider.get("/?review=unreviewed").text) == 124
    # an assignment needs a name; an unknown state is refused
    assert outsider.post(f"/notices/{notice_id}/review", data={"csrf": token, "state": "assigned"}).status_code == 400
    assert outsider.post(f"/notices/{notice_id}/review", data={"csrf": token, "state": "maybe"}).status_code == 400


def test_writes_need_a_reviewer_and_a_csrf_token(outsider, local):
    notice_id = first_notice_id(local.get("/").text)
    # anonymous, even on a read network: sent to sign in, nothing written
    token = csrf_of(local.get("/login").text)
    anonymous = local.post(
        f"/notices/{notice_id}/review", data={"csrf": token, "state": "done"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    sign_in(outsider, "zhao")  # a viewer
    page = outsider.get(f"/notices/{notice_id}").text
    assert "may read but not mark" in page and 'action="/notices/' not in page
    viewer = outsider.post(f"/notices/{notice_id}/review", data={"csrf": csrf_of(page), "state": "done"})
    assert viewer.status_code == 403
    outsider.cookies.clear()
    sign_in(outsider, "root")  # an admin may, but not without the form's token
    forged = outsider.post(f"/notices/{notice_id}/review", data={"csrf": "not-the-token", "state": "done"})
    assert forged.status_code == 403
    assert outsider.post(f"/notices/{notice_id}/review", data={"state": "done"}).status_code == 403
    assert count(outsider.get("/?review=unreviewed").text) == 125


def test_the_session_cookie_is_signed_http_only_and_same_site(outsider, desk_settings):
    sign_in(outsider, "li")
    cookie = next(c for c in outsider.cookies.jar if c.name == "cgt_desk")
    assert cookie.has_nonstandard_attr("HttpOnly") or "httponly" in str(cookie._rest).lower()
    # a tampered cookie is a signed-out visitor
    outsider.cookies.set("cgt_desk", cookie.value[:-4] + "AAAA", domain=cookie.domain)
    assert outsider.get("/", follow_redirects=False).status_code == 303
    assert desk_settings.web.model_copy(update={"cookie_secure": None}).secure_cookies()  # https public URL


def test_sources_page_shows_health_and_the_poll_log(local, desk):
    now = utcnow()
    with write_transaction(desk.state.database.sessions) as session:
        session.add(
            Run(
                source_name="nmpa-ggtg", started_at=now, finished_at=now, outcome="blocked", reason="HTTP 412 challenge"
            )
        )
    page = local.get("/sources").text
    assert "nmpa-ggtg" in page and "gdmpa-tzgg" in page and "HTTP 412 challenge" in page
    assert "Failures in a row" in page and "Poll log" in page
    health_row = page.split('<tr class="health-ok">')
    nmpa = next(row for row in health_row if row.lstrip().startswith('<td><a href="/sources?source=nmpa-ggtg'))
    assert '<span class="health blocked">blocked</span>' in nmpa.split("</tr>")[0]  # its last error, though healthy now
    one = local.get("/sources?source=cde-zdyz").text.split('id="polls"')[1]
    assert "cde-zdyz" in one and "nmpa-ggtg" not in one


def test_comment_deadlines_fewest_days_left_first(local):
    page = local.get("/deadlines").text
    days = [int(d) for d in re.findall(r'<td class="num days" lang="en">(\d+)</td>', page)]
    assert days and days == sorted(days) and all(d >= 0 for d in days)
    assert 'href="/calendar/deadlines.ics"' in page


def test_pages_carry_security_headers_and_a_cjk_font_stack(local):
    answer = local.get("/")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert '<html lang="zh-Hans">' in answer.text
    css = local.get("/static/desk.css").text
    assert "Noto Sans CJK SC" in css and "prefers-color-scheme: dark" in css


def test_text_from_sites_is_escaped_everywhere(local, desk):
    from sqlalchemy import update

    from monitor.store.models import Notice

    with write_transaction(desk.state.database.sessions) as session:
        session.execute(
            update(Notice)
            .where(Notice.key == "cde-zdyz-5")
            .values(title="<script>alert(1)</script>细胞治疗", body="<img src=x onerror=alert(2)>")
        )
    listing = local.get("/?q=alert").text
    assert "<script>" not in listing and "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in listing
    notice_id = first_notice_id(listing)
    page = local.get(f"/notices/{notice_id}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_config_show_masks_the_desks_secrets(tmp_path, hashes):
    from typer.testing import CliRunner

    from monitor.cli import app

    config = tmp_path / "cgt-monitor.toml"
    config.write_text(
        f'[web]\nsecret_key = "s3cret-signing-key-0123456789"\n[web.users.li]\npassword_hash = "{hashes["li"]}"\n'
        'role = "reviewer"\n',
        encoding="utf-8",
    )
    shown = CliRunner().invoke(app, ["--config", str(config), "config", "show"]).output
    assert "s3cret" not in shown and hashes["li"] not in shown and '"role": "reviewer"' in shown


def test_users_hash_prints_an_argon2_hash_that_signs_in(outsider, desk_settings):
    from typer.testing import CliRunner

    from monitor.cli import app
    from monitor.config.settings import WebSettings, WebUser
    from monitor.web.auth import verify

    result = CliRunner().invoke(app, ["users", "hash"], input="long-enough-pw\nlong-enough-pw\n")
    digest = result.output.strip().splitlines()[-1]
    assert digest.startswith("$argon2id$")
    web = WebSettings(users={"wu": WebUser(password_hash=digest, role="viewer")})
    assert verify(web, "wu", "long-enough-pw") and not verify(web, "wu", "wrong-password")
    assert not verify(web, "nobody", "long-enough-pw")
    short = CliRunner().invoke(app, ["users", "hash"], input="short\nshort\n")
    assert short.exit_code == 2


def test_users_token_prints_a_token_and_the_hash_the_file_keeps():
    from typer.testing import CliRunner

    from monitor.cli import app
    from monitor.web.auth import token_hash

    lines = CliRunner().invoke(app, ["users", "token"]).output.splitlines()
    token = lines[0].rsplit(" ", 1)[1]
    assert len(token) >= 40 and f'token_hash = "{token_hash(token)}"' in lines[1]


def test_the_web_section_is_validated_with_file_line_and_field(tmp_path):
    import pytest

    from monitor.config.errors import ConfigError
    from monitor.config.settings import load_settings

    config = tmp_path / "cgt-monitor.toml"
    config.write_text(
        '[web]\nport = 0\nread_networks = ["lan"]\n[web.users.li]\npassword_hash = "plain-text"\nrole = "boss"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    problems = [str(problem) for problem in raised.value.problems]
    assert any(":2:" in p and "port" in p for p in problems)
    assert any(":3:" in p and "'lan' is not a network" in p for p in problems)
    assert any(":5:" in p and "password_hash" in p for p in problems)
    assert any(":6:" in p and "role" in p for p in problems)


def test_a_notice_page_shows_attachments_sightings_family_and_alerts(local, desk):
    import datetime as dt

    from sqlalchemy import select

    from monitor.store.models import Change, Delivery, Notice

    now = dt.datetime.now(dt.UTC)
    with write_transaction(desk.state.database.sessions) as session:
        final = session.scalars(select(Notice).where(Notice.key == "cde-zdyz-6")).one()
        final.title = "关于发布《嵌合抗原受体T细胞产品指导原则》的通告"
        final.attachments = [{"url": "https://x/a.pdf", "name": "附件1.pdf", "kind": "pdf", "pages": 12, "chars": 3456}]
        final.attachment_text = "嵌合抗原受体T细胞（CAR-T）产品的药学研究"
        draft = session.scalars(select(Notice).where(Notice.key == "nmpa-ggtg-0")).one()
        draft.title = "关于公开征求《嵌合抗原受体T细胞产品指导原则（征求意见稿）》意见的通知"
        repost = session.scalars(select(Notice).where(Notice.key == "gdmpa-tzgg-16")).one()
        repost.canonical_id = final.id
        session.flush()
        change = Change(notice_id=final.id, source_name="cde-zdyz", kind="new", detected_at=now, title="t", url="u")
        session.add(change)
        session.flush()
        session.add(
            Delivery(
                change_id=change.id,
                notice_id=final.id,
                subscription="gene",
                channel="mail",
                status="sent",
                created_at=now,
                next_attempt_at=now,
                sent_at=now,
                attempts=1,
            )
        )
        final_id, draft_id, repost_id = final.id, draft.id, repost.id
    page = local.get(f"/notices/{final_id}").text
    assert "附件1.pdf" in page and "12 pages" in page and "3,456 characters read" in page
    assert "CAR-T" in page
    family = page.split('<ol class="family">')[1].split("</ol>")[0]
    assert family.index(f'href="/notices/{draft_id}"') < family.index("(this notice)")
    assert f'href="/notices/{repost_id}"' in page.split("Also seen on")[1]
    alerts = page.split("<h2>Alerts</h2>")[1]
    assert "gene" in alerts and "sent" in alerts and "Asia/Shanghai" in page


def test_a_notice_found_by_its_text_shows_its_level_and_passage(local, desk_settings):
    from sqlalchemy import select

    from monitor.app import open_store
    from monitor.store.models import Notice

    database = open_store(desk_settings)
    with write_transaction(database.sessions) as session:
        notice = session.scalars(select(Notice).where(Notice.relevant.is_(True)).order_by(Notice.id)).first()
        notice.level, notice.passage = "body", "（十一）加快细胞和基因治疗产业发展。"  # synthetic
        ident = notice.id
    database.engine.dispose()
    page = local.get(f"/notices/{ident}").text
    assert "In the text" in page and "加快细胞和基因治疗产业发展" in page and "a general title" in page
    listed = local.get("/?relevance=body").text
    assert count(listed) == 1 and "CGT · in the text" in listed
    assert count(local.get("/?relevance=title").text) == 74


def test_the_sources_page_says_what_each_source_rests_on(desk_settings):
    from starlette.testclient import TestClient

    from monitor.app import open_store
    from monitor.store.models import SourceState
    from monitor.web.app import create_app
    from tests.helpers import catalogue

    database = open_store(desk_settings)
    known = catalogue()["nmpa-ggtg"]
    with write_transaction(database.sessions) as session:
        session.add(SourceState(name="nmpa-ggtg", agency="NMPA", region="CN", url=known.url, status="ok"))
    client = TestClient(create_app(desk_settings, database, [known]), client=("127.0.0.1", 50000))
    page = client.get("/sources").text
    row = page[page.index('href="/sources?source=nmpa-ggtg#polls"') :].split("</tr>", 1)[0]
    assert 'class="evidence recorded"' in row and "recorded 2026-09-22" in row  # the level, its note on hover
    database.engine.dispose()
