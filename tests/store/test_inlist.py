"""Keys asked for with IN (...): the same rows whatever the list's length, from a few statement texts."""

import datetime as dt

from monitor.app import open_store
from monitor.store.checks import compared_rows, record_history
from monitor.store.db import write_transaction
from monitor.store.inlist import chunks, padded
from monitor.values import Item
from tests.helpers import local_source, serve, site_page
from tests.store.test_checks import check, statements


def test_a_padded_list_repeats_its_last_key_up_to_the_next_length():
    assert padded(["a", "b", "c"]) == ["a", "b", "c"] + ["c"] * 5
    assert padded([str(i) for i in range(16)]) == [str(i) for i in range(16)]
    assert len(padded([str(i) for i in range(17)])) == 32
    assert [len(chunk) for chunk in chunks(str(i) for i in range(1_201))] == [500, 500, 256]


def test_lists_of_every_length_read_the_same_rows_with_a_few_statements(site, settings_for):
    settings = settings_for()
    database = open_store(settings)
    source = local_source(site, "nmpa-ggtg")
    serve(site, source, site_page("nmpa-ggtg.html"))
    check(settings, database, source)  # the source's row
    stored = [Item(key=f"k{i:03d}", title=f"通知 {i}", url=f"https://x/{i}") for i in range(120)]
    with write_transaction(database.sessions) as session:
        record_history(session, source, stored, {}, dt.datetime.now(dt.UTC))

    with statements(database.engine) as sql, database.sessions() as session:
        for length in range(1, 121):
            page = [*stored[:length], Item(key="never-stored", title="新", url="https://x/new")]
            known, listing = compared_rows(session, source, [item.key for item in stored[:length]], page)
            assert sorted(known) == [item.key for item in stored[:length]]
            assert listing == stored[:length]
    # 121 lengths of list (the page's keys and one more), five texts: 8, 16, 32, 64 and 128 keys
    assert len({s for s in sql if s.startswith("SELECT")}) == 5
