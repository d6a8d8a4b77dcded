import datetime as dt
import json

import pytest

from monitor.extract.json_api import JsonShapeError
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
