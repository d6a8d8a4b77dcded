import datetime as dt

from monitor.config.sources import Source
from monitor.values import Fetched, FetchOutcome
from tests.helpers import items_of

PAGE = """<html><body><script>
var urls=new Array(); var headers=new Array(); var year=new Array();
urls[0]="./202609/t20260915_4301.html"; headers[0]="北京市科学技术委员会关于征集细胞与基因治疗项目的通知"; year[0]="2026-09-15";
urls[1]="https://kw.beijing.gov.cn/art/2026/8/1/art_736_1.html"; headers[1]="关于发布<b>2026年度</b>项目指南的通知"; year[1]="2026-08-01";
</script></body></html>"""


def test_parallel_javascript_arrays_become_items():
    source = Source(
        name="bj",
        agency="BJSTC",
        region="CN-BJ",
        url="https://kw.beijing.gov.cn/col/col736/index.html",
        kind="script",
        evidence="unverified",
        evidence_note="a test source",
    )
    fetched = Fetched(url=source.url, final_url=source.url, status=200, outcome=FetchOutcome.OK, text=PAGE)
    first, second = items_of(fetched, source)
    assert first.url == "https://kw.beijing.gov.cn/col/col736/202609/t20260915_4301.html"
    assert first.published == dt.date(2026, 9, 15)
    assert second.title == "关于发布2026年度项目指南的通知"
