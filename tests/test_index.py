"""The site index's read-ahead and remembered lookups give what plain queries give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wpconvert.index import SiteIndex
from wpconvert.model import Item


@pytest.fixture
def index() -> Iterator[SiteIndex]:
    idx = SiteIndex({"example.org"})
    for n in range(700):
        if n % 3 == 0:
            item = Item(id=1000 + n, post_type="attachment", title=f"image {n}",
                        attachment_url=f"https://example.org/wp-content/uploads/{n}.jpg", menu_order=n % 7)
        else:
            item = Item(id=1000 + n, title=f"post {n}", slug=f"post-{n}")
        idx.add(item, publish=item.post_type == "post")
    idx.finish()
    yield idx
    idx.close()


def test_at_in_order_is_at_across_pages(index: SiteIndex) -> None:
    for seq in [*range(0, 700), 699, 3, 400, 700, 10_000, -1]:  # in order, then jumps
        assert index.at_in_order(seq) == index.at(seq)
    assert index.at_in_order(700) is None


def test_at_in_order_sees_locations_set_after_reading_ahead(index: SiteIndex) -> None:
    assert index.at_in_order(1) is not None and index.at_in_order(1).path == ""  # type: ignore[union-attr]
    index.set_location(2, "posts/post-2.md", "/posts/post-2/")
    entry = index.at_in_order(2)
    assert entry is not None and entry.path == "posts/post-2.md"


def test_attachments_remembered_and_bounded(index: SiteIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    queries: list[str] = []
    index.db.set_trace_callback(queries.append)
    att = index.attachments()
    ids = [1000 + n for n in range(0, 700, 3)]
    for i in ids:
        assert i in att
        ref = att[i]
        assert ref.id == i and ref.url.endswith(f"/{i - 1000}.jpg")
        assert att.get(i) == ref
    assert len(queries) == len(ids)  # one query per id, however often it is asked for
    assert 1001 not in att and att.get(1001) is None and att.get(1001, "x") == "x"  # a post
    with pytest.raises(KeyError):
        att[1001]
    assert index.attachments()[1000] == att[1000]  # shared by every view of this index
    # Bounded: past the limit it starts again.
    monkeypatch.setattr(type(att), "LIMIT", 10)
    index.finish()  # forgets what was looked up
    fresh = index.attachments()
    assert not fresh.seen
    for i in ids[:25]:
        assert fresh[i].id == i
        assert len(fresh.seen) <= 10
    assert 2 ** 70 not in fresh and fresh.get(-(2 ** 70)) is None
    assert sorted(att) == ids and len(att) == len(ids)


def test_lookups_forgotten_when_the_table_changes(index: SiteIndex) -> None:
    att = index.attachments()
    assert att[1000].title == "image 0"
    assert 5000 not in att
    index.add(Item(id=5000, post_type="attachment", attachment_url="https://example.org/new.png"), False)
    index.finish()
    assert index.attachments()[5000].url.endswith("new.png")


def test_plan_aliases_read_ahead_are_those_of_a_query(index: SiteIndex) -> None:
    from wpconvert.writers.plan import PAGE, SitePlan

    plan = SitePlan(index)
    # Every third item has aliases (one or two, in insertion order), across read-ahead pages.
    rows = [(seq, f"/old/{seq}/{k}/") for seq in range(0, 2 * PAGE + 50, 3) for k in range(1 + seq % 2)]
    index.db.executemany("INSERT INTO plan_alias VALUES (?, ?)", rows)

    def queried(seq: int) -> list[str]:
        return [r[0] for r in index.db.execute("SELECT path FROM plan_alias WHERE seq = ? ORDER BY rowid", (seq,))]

    for seq in [*range(0, 2 * PAGE + 60), 5, PAGE + 3, 0, 10**9]:  # in order, then jumps
        assert plan.aliases(seq) == queried(seq)
    assert plan.aliases(3) == ["/old/3/0/", "/old/3/1/"]
    got = plan.aliases(6)
    got.append("changed")  # a copy: the reader's own list is not touched
    assert plan.aliases(6) == ["/old/6/0/"]
