"""wpconvert: WordPress exports (WXR) to Markdown, lossless JSON, Hugo and Jekyll sites.

The library is what the ``wpconvert`` command runs::

    import wpconvert

    export = wpconvert.read("site.wordpress.xml")       # site header read at once
    for item in export.items():                         # items streamed, one at a time
        print(item.post_type, item.title)

    report = wpconvert.convert("site.wordpress.xml", "markdown", "out/", media="link")
    print(report.totals())
"""

from __future__ import annotations

from .api import Info, convert, info
from .checks import check
from .errors import InputError, OutputError, UsageError, WPConvertError
from .findings import CheckResult
from .model import Author, Comment, Item, ItemTerm, Meta, Site, Source, Term
from .options import Options
from .reader import Export, read
from .report import Entry, Problem, Repair, Report
from .writers import WriteContext, Writer

__all__ = [
    "Author",
    "CheckResult",
    "Comment",
    "Entry",
    "Export",
    "Info",
    "InputError",
    "Item",
    "ItemTerm",
    "Meta",
    "Options",
    "OutputError",
    "Problem",
    "Repair",
    "Report",
    "Site",
    "Source",
    "Term",
    "UsageError",
    "WPConvertError",
    "WriteContext",
    "Writer",
    "check",
    "convert",
    "info",
    "read",
]
