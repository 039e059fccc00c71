"""``--format csvlist``: one CSV line per published item, in ``OUTPUT/items.csv``.

A complete third-party writer: it subclasses :class:`wpconvert.Writer`, names itself, and
writes through the output folder it is given (``ctx.tree``), which keeps writes inside the
folder and records them in wpconvert's manifest. The publishing policy (private posts,
passwords, personal data) was applied before the items reach :meth:`write`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from wpconvert import Item, Writer

COLUMNS = ("id", "post_type", "status", "date", "slug", "title", "link", "comments")


class CSVListWriter(Writer):
    """One CSV line per item: id, type, status, date, slug, title, link, comment count."""

    name = "csvlist"
    description = "one CSV line per item (plugin example)"

    def write(self, items: Iterable[Item]) -> None:
        buf = io.StringIO(newline="")
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(COLUMNS)
        for item in items:
            comments = sum(1 for _ in item.all_comments())
            out.writerow((item.id, item.post_type, item.status, item.date or "", item.slug, item.title,
                          item.link, comments))
            self.ctx.report.written(item, "items.csv")
        self.ctx.tree.write("items.csv", buf.getvalue())
