import datetime as dt

from monitor.alert.route import matches, next_digest_time, route
from monitor.config.settings import Subscription
from monitor.config.sources import Source
from monitor.values import Item, Verdict

SZ = Source(
    name="sz",
    agency="Shenzhen People's Congress",
    region="CN-GD-SZ",
    url="https://www.szrd.gov.cn/",
    kind="html",
    evidence="unverified",
    evidence_note="a test source",
    extract={"item": "li"},
)
ITEM = Item(key="1", title="深圳经济特区细胞和基因产业促进条例", url="https://www.szrd.gov.cn/1.html")
RELEVANT = Verdict(relevant=True, score=4.0, terms=("细胞和基因",), topics=("gene_therapy",), doc_type="regulation")
NOW = dt.datetime(2026, 9, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def sub(**fields) -> Subscription:
    return Subscription(name="s", channels=["mail", "wecom"], **fields)


def test_a_relevant_notice_goes_to_every_channel_of_a_matching_subscription():
    routes = route([sub()], SZ, ITEM, RELEVANT, NOW)
    assert [(r.channel, r.due_at) for r in routes] == [("mail", NOW), ("wecom", NOW)]


def test_irrelevant_notices_are_not_routed_unless_asked_for():
    irrelevant = Verdict(relevant=False, score=0.0)
    assert route([sub()], SZ, ITEM, irrelevant, NOW) == []
    assert len(route([sub(relevant_only=False)], SZ, ITEM, irrelevant, NOW)) == 2


def test_filters():
    assert matches(sub(regions=["CN-GD"]), SZ, ITEM, RELEVANT)  # a province covers its cities
    assert not matches(sub(regions=["CN-SH"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(agencies=["NMPA"]), SZ, ITEM, RELEVANT)
    assert matches(sub(doc_types=["regulation"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(doc_types=["guideline"]), SZ, ITEM, RELEVANT)
    assert matches(sub(terms=["细胞和基因"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(terms=["人类遗传资源"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(min_score=5), SZ, ITEM, RELEVANT)


def test_digests_are_due_at_the_next_local_time():
    (first, _) = route([sub(mode="digest", digest_at="09:00")], SZ, ITEM, RELEVANT, NOW)
    assert first.due_at == dt.datetime(2026, 9, 24, 1, 0, tzinfo=dt.UTC)  # tomorrow 09:00 Shanghai
    weekly = next_digest_time(NOW, "09:00", "Asia/Shanghai", weekday=0)
    assert weekly == dt.datetime(2026, 9, 28, 1, 0, tzinfo=dt.UTC)  # next Monday


def test_quiet_hours_hold_chat_alerts_but_not_email():
    from monitor.config.settings import Channel

    channels = {"mail": Channel(urls=["mailto://127.0.0.1:25?to=a@b.c"]), "wecom": Channel(urls=["wecombot://key"])}
    late = dt.datetime(2026, 9, 23, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    routes = {
        r.channel: r.due_at
        for r in route([sub(quiet_hours="22:00-08:00")], SZ, ITEM, RELEVANT, late, channels=channels)
    }
    assert routes["mail"] == late
    assert routes["wecom"] == dt.datetime(2026, 9, 24, 0, 0, tzinfo=dt.UTC)  # 08:00 next morning
    daytime = {
        r.channel: r.due_at for r in route([sub(quiet_hours="22:00-08:00")], SZ, ITEM, RELEVANT, NOW, channels=channels)
    }
    assert daytime["wecom"] == NOW


def test_topics_filter_and_ops_subscriptions_get_no_notices():
    assert matches(sub(topics=["gene_therapy"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(topics=["human_genetic_resources"]), SZ, ITEM, RELEVANT)
    assert not matches(sub(ops=True), SZ, ITEM, RELEVANT)


def test_each_subscription_and_channel_is_routed_once_whatever_the_settings_say():
    """Settings built in code skip the file's checks: routing itself never yields a pair twice."""
    twice = Subscription(name="s", channels=["mail", "mail", "wecom"])
    routes = route([twice, sub()], SZ, ITEM, RELEVANT, NOW)
    assert [(r.subscription, r.channel) for r in routes] == [("s", "mail"), ("s", "wecom")]
