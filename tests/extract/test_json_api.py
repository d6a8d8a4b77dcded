import datetime as dt
import json

import pytest
from pydantic import ValidationError

from monitor.extract.json_api import JsonShapeError
from monitor.extract.registry import parse_options
from monitor.values import Fetched, FetchOutcome
from tests.helpers import catalogue, items_of, site_page


def answer(text: str, url: str) -> Fetched:
    return Fetched(url=url, final_url=url, status=200, outcome=FetchOutcome.OK, text=text)


def test_cde_guideline_records_become_items_with_detail_links():
    source = catalogue()["cde-guidelines"]
    data = json.loads(site_page("cde-guidelines.json"))
    items = items_of(answer(json.dumps(data, ensure_ascii=False), source.url), source)
    records = data["data"]["records"]
    assert len(items) == len(records)
    first = records[0]
    assert items[0].key == first["zdyzIdCODE"]
    assert items[0].url == f"https://www.cde.org.cn/zdyz/domesticinfopage?zdyzIdCODE={first['zdyzIdCODE']}"
    assert items[0].published == dt.datetime.strptime(first["issueDate"], "%Y%m%d").date()


def test_a_non_json_answer_is_an_error_not_an_empty_list():
    source = catalogue()["cde-guidelines"]
    with pytest.raises(JsonShapeError, match="not JSON"):
        items_of(answer(site_page("cde-403-waf.html").decode(), source.url), source)


def test_a_missing_records_path_is_named():
    source = catalogue()["cde-guidelines"]
    with pytest.raises(JsonShapeError, match=r"data\.records"):
        items_of(answer('{"code": 500, "msg": "error"}', source.url), source)


def test_cde_picture_news_link_to_newspic_and_external_links_win():
    source = catalogue()["cde-news"]
    records = json.loads(site_page("cde-news.json"))["data"]["records"]
    pictures = {r["newsIdCode"] for r in records if r["isPic"]}
    assert pictures and len(pictures) < len(records)  # the fixture has both kinds
    records = [
        *records,
        {**records[0], "newsIdCode": "e" * 32, "isPic": 1, "externalLinks": "https://mp.weixin.qq.com/s/x"},
    ]
    records += [
        {**records[0], "newsIdCode": flag_id, "isPic": flag} for flag_id, flag in (("a" * 32, "0"), ("b" * 32, True))
    ]
    items = items_of(answer(json.dumps({"data": {"records": records}}, ensure_ascii=False), source.url), source)
    links = {item.key: item.url for item in items}
    for news_id in pictures | {"b" * 32}:
        assert links[news_id] == f"https://www.cde.org.cn/main/newspic/view/{news_id}"
    for news_id in {r["newsIdCode"] for r in records if not r["isPic"]} | {"a" * 32}:
        assert links[news_id] == f"https://www.cde.org.cn/main/news/viewInfoCommon/{news_id}"
    assert links["e" * 32] == "https://mp.weixin.qq.com/s/x"  # a link of its own comes first


def test_a_conditional_link_rule_is_validated():
    with pytest.raises(ValidationError, match="when"):
        parse_options("json", {"records": "data.records", "link": [{"link": "/a/{id}"}]})
    with pytest.raises(ValidationError, match="extra"):
        parse_options("json", {"records": "r", "link": [{"when": "isPic", "link": "/a/{id}", "then": "x"}]})
