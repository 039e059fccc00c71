"""What gets published: which items and comments go out, and what personal data is removed.

One place decides this for every format, so that no writer can leak a private post or a
commenter's e-mail address by forgetting a check.
"""

from __future__ import annotations

import dataclasses

from .model import Author, Comment, Item, Meta, Site, changed
from .options import Options

# Statuses written as drafts (draft: true), not as published pages.
DRAFT_STATUSES = frozenset(("draft", "pending", "future", "auto-draft"))


def skip_reason(item: Item, options: Options) -> str | None:
    """Why ``item`` must not be written under ``options``, or None when it may be."""
    if item.status == "private" and not options.includes("private"):
        return "private (use --include private)"
    if item.status == "trash" and not options.includes("trash"):
        return "trashed (use --include trash)"
    if item.password and not options.includes("protected"):
        return "password-protected (use --include protected)"
    return None


def comment_visible(comment: Comment, options: Options) -> bool:
    """True when a comment of this approval state is written."""
    state = comment.approved
    if state == "1":
        return True
    if state == "0":
        return options.includes("unapproved")
    if state == "spam":
        return options.includes("spam")
    if state in ("trash", "post-trashed"):
        return options.includes("trash")
    return False


# Comment meta that anti-spam plugins fill with the commenter's e-mail, IP and browser.
_PERSONAL_COMMENT_META = ("akismet_as_submitted", "akismet_user", "_wp_trash_meta", "jetpack_")


def _scrubbed_meta(c: Comment) -> tuple[Meta, ...]:
    """The comment's meta without rows that hold its author's e-mail address or IP."""
    if not c.meta:
        return c.meta
    secrets = [s for s in (c.author_email.strip(), c.author_ip.strip()) if s]
    return tuple(
        m for m in c.meta
        if not m.key.startswith(_PERSONAL_COMMENT_META) and not any(s in m.value for s in secrets)
    )


# _filter_comments() builds comments positionally: fail at import if the fields move.
assert tuple(f.name for f in dataclasses.fields(Comment)) == (
    "id", "author", "author_email", "author_url", "author_ip", "date", "date_gmt", "content",
    "approved", "type", "parent", "user_id", "meta", "replies"), "Comment fields changed"


def _filter_comments(comments: tuple[Comment, ...], options: Options) -> tuple[Comment, ...]:
    out: list[Comment] = []
    scrub = not options.keep_personal_data
    for c in comments:
        replies = _filter_comments(c.replies, options) if c.replies else c.replies
        if comment_visible(c, options):
            if scrub and (c.author_email or c.author_ip or c.meta):
                # Built directly, without even changed(): most comments are.
                c = Comment(c.id, c.author, "", c.author_url, "", c.date, c.date_gmt, c.content,
                            c.approved, c.type, c.parent, c.user_id, _scrubbed_meta(c), replies)
            elif replies is not c.replies:
                c = changed(c, replies=replies)
            out.append(c)
        else:
            # A visible reply to a hidden comment moves up to the hidden one's place.
            out.extend(replies)
    return tuple(out)


def prepare(item: Item, options: Options) -> Item:
    """The item as it may be published: hidden comments removed, personal data scrubbed."""
    if not item.comments:
        return item
    kept = _filter_comments(item.comments, options)
    return changed(item, comments=kept)


def prepare_site(site: Site, options: Options) -> Site:
    """The site header with authors' e-mail addresses removed unless kept on purpose."""
    if options.keep_personal_data:
        return site
    authors = tuple(dataclasses.replace(a, email="") if a.email else a for a in site.authors)
    return dataclasses.replace(site, authors=authors)


def author_name(site: Site, login: str) -> str:
    """The display name for an item's ``dc:creator`` login (the login when unknown)."""
    author: Author | None = site.author(login)
    if author is None:
        return login
    return author.display_name or " ".join(p for p in (author.first_name, author.last_name) if p) or login
