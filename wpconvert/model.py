"""The data model: what a WordPress export holds, as typed frozen dataclasses.

The reader builds these; transforms and writers only read them. Text fields hold the text
exactly as exported (a post's ``content`` is the raw WordPress HTML, shortcodes and block
comments included). Dates are the exported ``YYYY-MM-DD HH:MM:SS`` strings, or ``None``
where WordPress wrote its "no date" value ``0000-00-00 00:00:00`` or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

_T = TypeVar("_T")

# Post statuses WordPress writes. "inherit" is the status of attachments and revisions;
# "auto-draft" is an editor's unsaved draft.
STATUSES = ("publish", "draft", "pending", "private", "future", "trash", "inherit", "auto-draft")


def pickles_as_tuple(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass a fast ``__reduce__``: its fields as a plain tuple,
    passed back to the constructor. The dataclass's own pickling of slots calls
    ``fields()`` for every object. Items and the records around them cross a pipe or a
    spool file once each, with their comments and meta, so that cost adds up (see
    :mod:`wpconvert.pipeline`): a plain tuple pickles at twice the speed."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    get = attrgetter(*names)

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return (cls, get(self) if len(names) > 1 else (get(self),))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    _POSITIONS[cls] = (get, {name: i for i, name in enumerate(names)})
    return cls


# For changed(): each class pickles_as_tuple() set up, its fields' getter and positions.
_POSITIONS: dict[type, tuple[attrgetter[Any], dict[str, int]]] = {}


def changed(obj: _T, **changes: Any) -> _T:
    """``dataclasses.replace(obj, **changes)`` for a class set up by :func:`pickles_as_tuple`,
    at a third of the cost: the fields are read at once and passed by position (replace()
    walks ``fields()`` in Python, a tenth of a JSON conversion for the items alone)."""
    get, positions = _POSITIONS[type(obj)]
    values = list(get(obj)) if len(positions) > 1 else [get(obj)]
    for name, value in changes.items():
        values[positions[name]] = value
    return type(obj)(*values)


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class Meta:
    """One postmeta, termmeta or commentmeta row: key and raw string value."""

    key: str
    value: str

    def decoded(self) -> Any:
        """The value with PHP serialization decoded (the raw string when it is not serialized)."""
        from .phpserial import maybe_unserialize

        return maybe_unserialize(self.value)


@dataclass(frozen=True, slots=True)
class Author:
    """A ``<wp:author>`` block of the channel."""

    login: str
    id: int | None = None
    email: str = ""
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """A term defined in the channel: a category, a tag or a term of any other taxonomy.

    ``taxonomy`` is ``category``, ``post_tag`` or the custom taxonomy's name; ``parent`` is
    the parent term's slug ("" for none).
    """

    taxonomy: str
    slug: str
    name: str
    id: int | None = None
    parent: str = ""
    description: str = ""
    meta: tuple[Meta, ...] = ()


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class ItemTerm:
    """A term an item is filed under (an item's ``<category domain=… nicename=…>``).

    ``taxonomy`` is the exported ``domain``: WXR 1.0 wrote ``tag`` where later versions write
    ``post_tag``, and old exports have ``<category>`` without a domain; both are kept as
    exported here (see :attr:`kind` for the normalised taxonomy).
    """

    taxonomy: str
    slug: str
    name: str

    @property
    def kind(self) -> str:
        """The taxonomy normalised: ``tag`` → ``post_tag``, no domain → ``category``."""
        if self.taxonomy == "tag":
            return "post_tag"
        return self.taxonomy or "category"


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class Comment:
    """A comment, pingback or trackback, with its replies threaded under it."""

    id: int
    author: str = ""
    author_email: str = ""
    author_url: str = ""
    author_ip: str = ""
    date: str | None = None
    date_gmt: str | None = None
    content: str = ""
    # "1" approved, "0" awaiting moderation, "spam", "trash" (and "post-trashed").
    approved: str = "1"
    # "comment" (WordPress writes "" for ordinary comments in older exports), "pingback",
    # "trackback", or a plugin's own type ("review", "note", ...).
    type: str = "comment"
    parent: int = 0
    user_id: int = 0
    meta: tuple[Meta, ...] = ()
    replies: tuple[Comment, ...] = ()

    @property
    def is_approved(self) -> bool:
        """True for a comment WordPress shows publicly."""
        return self.approved == "1"

    def walk(self) -> Any:
        """This comment and every reply under it, depth first."""
        yield self
        for reply in self.replies:
            yield from reply.walk()


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class Source:
    """Where an item was read: the input's name and the line its ``<item>`` starts on."""

    file: str
    line: int


@pickles_as_tuple
@dataclass(frozen=True, slots=True)
class Item:
    """One ``<item>``: a post, page, attachment, nav menu item or any custom post type."""

    id: int | None
    post_type: str = "post"
    title: str = ""
    link: str = ""
    guid: str = ""
    pub_date: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    date: str | None = None
    date_gmt: str | None = None
    modified: str | None = None
    modified_gmt: str | None = None
    comment_status: str = ""
    ping_status: str = ""
    # post_name as exported: WordPress percent-encodes non-ASCII slugs ("%e6%97%a5…").
    post_name: str = ""
    # post_name percent-decoded ("日本語"), the slug users see.
    slug: str = ""
    status: str = "publish"
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    sticky: bool = False
    attachment_url: str = ""
    terms: tuple[ItemTerm, ...] = ()
    meta: tuple[Meta, ...] = ()
    # Top-level comments; replies hang under their parents (Comment.replies).
    comments: tuple[Comment, ...] = ()
    source: Source | None = field(default=None, compare=False)

    def meta_value(self, key: str) -> str | None:
        """The first meta value stored under ``key``, or None."""
        for m in self.meta:
            if m.key == key:
                return m.value
        return None

    def all_comments(self) -> Any:
        """Every comment of the item, replies included, depth first."""
        for c in self.comments:
            yield from c.walk()

    def terms_of(self, taxonomy: str) -> list[ItemTerm]:
        """The item's terms in one (normalised) taxonomy, in export order."""
        return [t for t in self.terms if t.kind == taxonomy]


@dataclass(frozen=True, slots=True)
class Site:
    """The channel-level header of one or more exports, merged."""

    title: str = ""
    link: str = ""
    description: str = ""
    language: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    wxr_version: str = ""
    generator: str = ""
    pub_date: str = ""
    authors: tuple[Author, ...] = ()
    # Every channel-level term: <wp:category>, <wp:tag> and <wp:term>, in export order.
    terms: tuple[Term, ...] = ()
    # The inputs this site was read from, in order.
    files: tuple[str, ...] = ()

    @property
    def categories(self) -> tuple[Term, ...]:
        """The channel's categories."""
        return tuple(t for t in self.terms if t.taxonomy == "category")

    @property
    def tags(self) -> tuple[Term, ...]:
        """The channel's post tags."""
        return tuple(t for t in self.terms if t.taxonomy == "post_tag")

    def author(self, login: str) -> Author | None:
        """The author with this login, or None."""
        for a in self.authors:
            if a.login == login:
                return a
        return None
