"""The built-in shortcode handlers: caption, gallery, playlist, embed, youtube, vimeo,
video and audio. Importing :mod:`wpconvert.transform.shortcodes` registers them."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wpconvert.transform.context import AttachmentRef, TransformContext
from wpconvert.transform.shortcodes import Handler, Shortcode, _unhide, do_shortcode, register

# -- HTML helpers -------------------------------------------------------------------------

# "&" that does not start an entity; existing entities are kept, not double-escaped.
_BARE_AMP = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_TAG = re.compile(r"<[^>]*>")


def _text(value: str) -> str:
    return _BARE_AMP.sub("&amp;", value).replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def _plain(fragment: str) -> str:
    # Visible text of an HTML fragment, for an alt attribute.
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def _link(url: str, text: str | None = None) -> str:
    return f'<p><a href="{_attr(url)}">{_text(text if text is not None else url)}</a></p>'


_ID_SEPARATOR, _ID, _ATTACHMENT_ID = re.compile(r"[\s,]+"), re.compile(r"-?\d+"), re.compile(r"(?:attachment_)?(\d+)")


def _ids(value: str) -> list[int]:
    # wp_parse_id_list(): comma- or space-separated, absolute integers.
    return [abs(int(v)) for v in _ID_SEPARATOR.split(value) if _ID.fullmatch(v)]


def _image(ref: AttachmentRef, link_to_file: bool) -> str:
    img = f'<img src="{_attr(ref.url)}" alt="{_attr(ref.alt)}" />'
    img = f'<a href="{_attr(ref.url)}">{img}</a>' if link_to_file else img
    caption = f"<br />\n<em>{ref.caption.strip()}</em>" if ref.caption.strip() else ""
    return f"<p>{img}{caption}</p>"


# -- built-in handlers --------------------------------------------------------------------

_CAPTION_SPLIT = re.compile(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", re.I | re.S)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_ALT_ATTR = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_LEADING_BREAKS = re.compile(r"^(?:\s|<br\s*/?>)+", re.I)
_OPEN_LINK, _CLOSE_LINK = re.compile(r"<a\s", re.I), re.compile(r"</a\s*>", re.I)


def _with_alt(fragment: str, alt: str) -> str:
    # Give the image an alt text when it has none (Markdown's ![alt](src)).
    def fix(m: re.Match[str]) -> str:
        tag = m.group(0)
        found = _ALT_ATTR.search(tag)
        if not alt or (found and "".join(g or "" for g in found.groups()).strip()):
            return tag
        new = f' alt="{_attr(alt)}"'
        return tag[: found.start()] + new + tag[found.end() :] if found else tag[:4] + new + tag[4:]

    return _IMG_TAG.sub(fix, fragment, count=1)


def _caption(sc: Shortcode, ctx: TransformContext) -> str:
    """``[caption]``/``[wp_caption]`` → ``<p>IMAGE<br /><em>CAPTION</em></p>``: html2text renders the (linked)
    image with the caption in italics below it (``<figure>``/``<figcaption>`` would run together). An image
    without alt text gets the attachment's alt or the caption's text. Unlike WordPress, a missing ``width`` does
    not drop the caption."""
    content = sc.content or ""
    caption = sc.attrs.get("caption", "")
    if not caption:  # New style: the caption is the text after the image.
        found = _CAPTION_SPLIT.search(content)
        if found:
            content, caption = found.group(1), found.group(2).strip()
    caption = _LEADING_BREAKS.sub("", caption).strip()
    image = do_shortcode(content, ctx).strip()
    if _OPEN_LINK.match(image) and not _CLOSE_LINK.search(image):
        # "<a><img> Caption[/caption]" (or "… Caption</a>"): close the link after the image, not the caption.
        caption, image = _CLOSE_LINK.sub("", caption, count=1).strip(), image + "</a>"
    # id="attachment_42" (WordPress) or attachment_id="42" (older exports).
    ref_id = _ATTACHMENT_ID.fullmatch(sc.attrs.get("id", "").strip() or sc.attrs.get("attachment_id", "").strip())
    ref = ctx.attachments.get(int(ref_id.group(1))) if ref_id else None
    image = _with_alt(image, (ref.alt if ref else "") or _plain(caption))
    return f"<p>{image}<br />\n<em>{caption}</em></p>" if caption else image


def _attachments(sc: Shortcode, ctx: TransformContext, attached: bool = False) -> list[AttachmentRef]:
    # The attachments of ids="1,2" (or include=), counting "<name>-missing" per absent id. Without ids WordPress
    # lists the files attached to the post: with ``attached``, those that ctx.attached() gives for ctx.post_id
    # (or for id="N", another post); when they cannot be known, counted "<name>-unresolved".
    ids = _ids(sc.attrs.get("ids") or sc.attrs.get("include", ""))
    if not ids:
        parent = _parent(sc, ctx) if attached else None
        if parent is None or ctx.attached is None:
            ctx.count(sc.name + "-unresolved")
            return []
        excluded = set(_ids(sc.attrs.get("exclude", "")))
        refs = [ref for ref in ctx.attached(parent) if ref.id not in excluded]
        # WordPress orders them by "menu_order ID", ascending unless order="DESC".
        return refs[::-1] if sc.attrs.get("order", "").strip().upper() == "DESC" else refs
    refs = [ctx.attachments[i] for i in ids if i in ctx.attachments]
    if len(refs) < len(ids):
        ctx.count(sc.name + "-missing", len(ids) - len(refs))
    if not sc.attrs.get("ids") and sc.name == "gallery":
        # include= is a filter, not an order: WordPress sorts by "menu_order ID" (ids= keeps
        # the order given).
        refs.sort(key=lambda r: (r.menu_order, r.id))
        if sc.attrs.get("order", "").strip().upper() == "DESC":
            refs.reverse()
    return refs


_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?|heic|ico)(?:$|[?#])", re.I)


def _parent(sc: Shortcode, ctx: TransformContext) -> int | None:
    # The post whose attachments a gallery without ids shows: id="N" names one, else the current post.
    given = sc.attrs.get("id", "").strip()
    if given:
        return int(given) if given.isascii() and given.isdigit() and int(given) > 0 else None
    return ctx.post_id


def _gallery(sc: Shortcode, ctx: TransformContext) -> str:
    """``[gallery ids="1,2"]`` (or ``include=``): each image of ``ctx.attachments`` in a paragraph, with its
    caption; ``link="file"`` links it to its file. Absent ids are counted as ``gallery-missing``. Without ids,
    the images attached to the post (``ctx.attached(ctx.post_id)``; ``id="N"``: to post N), less those of
    ``exclude=``, in ``menu_order`` then id order (reversed by ``order="DESC"``); when the context cannot tell
    them (no ``post_id`` or no ``attached`` lookup), the gallery is empty and counted as
    ``gallery-unresolved``."""
    # A gallery shows images only (WordPress queries image mime types): a PDF among the ids is left out.
    refs = [ref for ref in _attachments(sc, ctx, attached=True) if _IMAGE_FILE.search(ref.url)]
    return "\n".join(_image(ref, sc.attrs.get("link") == "file") for ref in refs)


def _playlist(sc: Shortcode, ctx: TransformContext) -> str:
    """``[playlist ids="1,2"]``: a list of links to the files (absent ids: ``playlist-missing``)."""
    items = [
        f'<li><a href="{_attr(ref.url)}">{_text(ref.title.strip() or ref.url.rstrip("/").rsplit("/", 1)[-1])}</a></li>'
        for ref in _attachments(sc, ctx)
    ]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _embed(sc: Shortcode, ctx: TransformContext) -> str:
    """``[embed]URL[/embed]``: a link to the URL."""
    url = html.unescape((sc.content or "").strip() or sc.value("url", "src"))
    return _link(url) if url else ""


# Sizing and player options of WordPress.com's [youtube=URL&w=640&h=385] form.
_YOUTUBE_OPTIONS = frozenset("w h hd fs rel showsearch showinfo iv_load_policy autohide wmode theme color".split())
_YOUTUBE_ID = re.compile(r"[\w-]{11}", re.ASCII)


def _youtube(sc: Shortcode, ctx: TransformContext) -> str:
    """``[youtube URL]``, ``[youtube=URL]`` or ``[youtube ID]``: a link to the video."""
    url = html.unescape(sc.value("url", "src") or (sc.content or "").strip())
    if not url:
        return ""
    if _YOUTUBE_ID.fullmatch(url):
        return _link("https://www.youtube.com/watch?v=" + url)
    try:
        parts = urlsplit(url)
    except ValueError:  # Not a URL ("//[x"): linked as written.
        return _link(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k not in _YOUTUBE_OPTIONS]
    if len(kept) != len(query):
        url = urlunsplit(parts._replace(query=urlencode(kept)))
    return _link(url)


def _vimeo(sc: Shortcode, ctx: TransformContext) -> str:
    """``[vimeo 123]``, ``[vimeo id=123]`` or ``[vimeo URL]``: a link to the video."""
    url = html.unescape(sc.value("id", "url", "src") or (sc.content or "").strip())
    if url.isdigit():
        url = "https://vimeo.com/" + url
    return _link(url) if url else ""


def _media(kind: str, formats: tuple[str, ...]) -> Handler:
    def handler(sc: Shortcode, ctx: TransformContext) -> str:
        sources = [sc.attrs[f].strip() for f in ("src", *formats) if sc.attrs.get(f, "").strip()]
        if not sources:
            # WordPress.com's [audio URL|titles=…]; or a URL as the enclosed content.
            first = sc.value().split("|", 1)[0] or (sc.content or "").strip()
            sources = [first] if first and "<" not in first else []
        if not sources:
            ctx.count("media-unresolved:" + kind)
            return ""
        sources = list(dict.fromkeys(_unhide(s) for s in sources))
        poster = sc.attrs.get("poster", "").strip() if kind == "video" else ""
        extra = f' poster="{_attr(poster)}"' if poster else ""
        if len(sources) == 1:
            element = f'<{kind} controls src="{_attr(sources[0])}"{extra}></{kind}>'
        else:
            inner = "".join(f'<source src="{_attr(s)}" />' for s in sources)
            element = f"<{kind} controls{extra}>{inner}</{kind}>"
        return f"<p>{ctx.protect(element)}</p>"

    handler.__doc__ = f"``[{kind}]``: an HTML5 ``<{kind} controls>``, kept as raw HTML."
    return handler


for _name, _handler in {
    "caption": _caption, "wp_caption": _caption, "gallery": _gallery, "playlist": _playlist, "embed": _embed,
    "youtube": _youtube, "vimeo": _vimeo, "video": _media("video", ("mp4", "m4v", "webm", "ogv", "wmv", "flv")),
    "audio": _media("audio", ("mp3", "ogg", "flac", "m4a", "wav", "wma")),
}.items():
    register(_name, _handler)

