"""Generate a realistic synthetic WordPress WXR 1.2 export of any size.

Streamed to disk item by item (constant memory) and byte-for-byte deterministic per seed. It
has authors, nested categories, tags, a custom taxonomy and a nav menu; posts, pages with parents,
attachments, nav menu items and a custom post type (``portfolio``) in every status (undated drafts,
future, private, trash, password-protected); classic and block-editor content with shortcodes,
image size variants, code with ``<``, ``&`` and ``]]>``, non-ASCII text and percent-encoded slugs;
threaded comments with pingbacks, spam and trash; postmeta including PHP-serialized values.

Usage: ``python -m bench.generate OUT.xml --items 20000 [--seed 0]``. Items average about 8 KB
(20,000 items make about 165 MB).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["generate", "main"]

SITE = "http://example.test"
UPLOADS = f"{SITE}/wp-content/uploads"
EXPORTED = datetime(2025, 1, 15, 12, 0, 0)
START = datetime(2008, 3, 1, 9, 0, 0)
EPOCH = datetime(1970, 1, 1)
TZ = timedelta(hours=1)  # the site's local time is GMT+1
NO_DATE = "0000-00-00 00:00:00"
NO_PUBDATE = "Mon, 30 Nov -0001 00:00:00 +0000"  # what WordPress writes for undated drafts

EN = """the a of and to in is that it for on with as was be at by this from or have an they which one
you were all we when there can more if some out about into time these two people could first water
been call who now find long down day did get come made may part over new sound take only little
work know place year live back give most very after thing our just name good sentence man think
say great where help through much before line right too means old any same tell boy follow came
want show also around form three small set put end does another well large must big even such
because turn here why ask went men read need land different home us move try kind hand picture
again change off play spell air away animal house point page letter mother answer found study
still learn should world high every near add food between own below country plant last school
garden server release plugin theme coffee travel recipe photo review""".split()
DE = """der die das und ist nicht mit für über schön größer Straße Mädchen Bücher Käse Grüße
Frühling Übersetzung Änderung natürlich möglich wahrscheinlich heute morgen gestern Wetter
Stadt Haus Garten Reise Bahnhof Geschwindigkeit Bäckerei Brötchen Ölwechsel""".split()
RU = """и в не на я что тот быть с а весь это как она по но они к у ты из мы за вы так же от
сказать этот который мочь человек о один ещё бы такой только себя своё какой когда уже для
вот кто да говорить год знать мой до или если время рука нет самый ни стать большой""".split()
JA = """今日は 天気が 良いので 公園を 散歩しました 日本語の 文章を 書くのは 楽しいです
新しい 記事を 公開しました 東京 大阪 京都 桜が 咲いています コーヒーを 飲みながら
プログラムを 書いています ブログの 更新 写真を 撮りました 週末は 山に 登ります""".split()
POOLS = {"en": EN, "de": DE + EN[:60], "ru": RU, "ja": JA}
EMOJI = ["🎉", "😀", "🚀", "✨", "👍", "☕", "🌍", "📷", "❤️", "👨‍👩‍👧"]
LANGS = ("en",) * 14 + ("de",) * 3 + ("ja",) * 2 + ("ru",)
AUTHORS = [("admin", "Site Admin"), ("jdoe", "Jane Doe"), ("mmueller", "Max Müller"),
           ("tanaka", "田中 太郎"), ("ivanova", "Анна Иванова")]  # fmt: skip
GENRES = ["Fiction", "Sci-Fi", "Krimi", "ミステリー", "Поэзия", "Essay"]
# (post_type, status) of the first items, so that even a small export has every kind.
SCHEDULE = [("attachment", "inherit"), ("post", "publish"), ("page", "publish"), ("post", "draft"),
            ("post", "pending"), ("post", "private"), ("post", "future"), ("post", "trash"),
            ("post", "password"), ("attachment", "inherit"), ("page", "draft"), ("nav_menu_item", "publish"),
            ("portfolio", "publish"), ("page", "private"), ("portfolio", "draft")]  # fmt: skip
TYPES = {"post": 70, "attachment": 15, "page": 7, "portfolio": 5, "nav_menu_item": 3}
STATUSES = {"post": {"publish": 70, "draft": 8, "pending": 4, "private": 4, "future": 4, "trash": 4, "password": 6},
            "page": {"publish": 85, "draft": 8, "private": 4, "trash": 3}, "portfolio": {"publish": 90, "draft": 10}}
APPROVED = {"1": 78, "0": 10, "spam": 8, "trash": 4}
PY_CODE = '''def clamp(values, lo=0, hi=10):
    """Keep every value in [lo, hi] & report changes."""
    out = []
    for v in values:
        if v < lo and lo & 1:
            out.append(lo)
        elif data[idx[0]]>hi:
            out.append(hi)
        else:
            out.append(v)
    return "<done>" if out else None
'''
GALLERY_CLASS = "wp-block-gallery has-nested-images columns-default is-cropped"
_PUNCT_RE = re.compile(r"[^\w\s-]")
_SPACE_RE = re.compile(r"[\s_]+")

NS = {"excerpt": "http://wordpress.org/export/1.2/excerpt/", "content": "http://purl.org/rss/1.0/modules/content/",
      "wfw": "http://wellformedweb.org/CommentAPI/", "dc": "http://purl.org/dc/elements/1.1/",
      "wp": "http://wordpress.org/export/1.2/"}
PREAMBLE = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!-- This is a WordPress eXtended RSS file generated by '
            'WordPress as an export of your site. -->\n<!-- generator="WordPress/6.4.3" created="{created}" -->\n'
            '<rss version="2.0"'
            + "".join(f'\n\txmlns:{k}="{v}"' for k, v in NS.items()) + "\n>\n\n<channel>\n"
            "\t<title>Synthetic Blog – „Beispiel“ 日本語</title>\n\t<link>{site}</link>\n\t<description>A generated "
            "export &amp; benchmark</description>\n\t<pubDate>{date}</pubDate>\n\t<language>en-US</language>\n"
            "\t<wp:wxr_version>1.2</wp:wxr_version>\n\t<wp:base_site_url>{site}</wp:base_site_url>\n"
            "\t<wp:base_blog_url>{site}</wp:base_blog_url>\n\n")
Image = tuple[int, str, int, int]  # attachment id, upload path without ".jpg", width, height


def cdata(text: str) -> str:
    """``text`` as a CDATA section, ``]]>`` split across two sections as WordPress does."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def esc(text: str) -> str:
    """Escape text for XML character data or a double-quoted attribute."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def php_serialize(value: Any) -> str:
    """PHP ``serialize()`` of None, bools, ints, floats, strings, lists and dicts."""
    if value is None:
        return "N;"
    if isinstance(value, (bool, int, float)):
        code = "b" if isinstance(value, bool) else "i" if isinstance(value, int) else "d"
        return f"{code}:{int(value) if code == 'b' else repr(value)};"
    if isinstance(value, str):
        return f's:{len(value.encode("utf-8"))}:"{value}";'
    pairs = list(enumerate(value) if isinstance(value, list) else value.items())
    body = "".join(php_serialize(k) + php_serialize(v) for k, v in pairs)
    return f"a:{len(pairs)}:{{{body}}}"


def wp_slug(title: str) -> str:
    """A post_name as WordPress makes it: non-ASCII as lowercase %xx, at most 200 bytes."""
    base = _SPACE_RE.sub("-", _PUNCT_RE.sub("", title.lower()).strip()).strip("-")
    out = ""
    for ch in base:
        enc = ch if ch.isascii() else quote(ch).lower()
        if len(out) + len(enc) > 200:
            break
        out += enc
    return out.strip("-")


def fmt(d: datetime) -> str:
    """WordPress's ``Y-m-d H:i:s``."""
    return d.strftime("%Y-%m-%d %H:%M:%S")


def rfc822(d: datetime) -> str:
    """An RSS pubDate."""
    return d.strftime("%a, %d %b %Y %H:%M:%S +0000")


Fields = list[tuple[str, str | int]]


def wp_fields(fields: Fields, indent: str) -> str:
    """``<wp:name>value</wp:name>`` lines: strings as CDATA, ints bare."""
    return "".join(f"{indent}<wp:{k}>{v if isinstance(v, int) else cdata(v)}</wp:{k}>\n" for k, v in fields)


def wp(tag: str, fields: Fields, indent: str = "\t", extra: str = "") -> str:
    """A ``<wp:tag>`` element holding :func:`wp_fields`, then ``extra`` markup."""
    return f"{indent}<wp:{tag}>\n{wp_fields(fields, indent + chr(9))}{extra}{indent}</wp:{tag}>\n"


def meta(key: str, value: str, tag: str = "postmeta") -> str:
    """A ``<wp:postmeta>`` (or commentmeta) element."""
    return wp(tag, [("meta_key", key), ("meta_value", value)], "\t\t\t" if tag[0] == "c" else "\t\t")


class _Writer:
    """Writes one export; all randomness comes from one seeded ``random.Random``."""

    def __init__(self, items: int, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.clock = START
        self.step = max(2, int((EXPORTED - START).total_seconds() / 60 / max(items, 1)))
        self.comment_id = 0
        # Only recent ids are remembered, so memory stays constant.
        self.images: deque[Image] = deque(maxlen=200)
        self.pages: deque[tuple[int, str]] = deque(maxlen=100)
        self.posts: deque[tuple[int, str]] = deque(maxlen=100)
        self.sentences = {lang: [self.sentence(lang) for _ in range(1500)] for lang in POOLS}
        self.cats = [self.title(rng.choice(LANGS), 1, 3) for _ in range(30)]
        self.tags = [self.title(rng.choice(LANGS), 1, 2) for _ in range(100)]
        # Unique slugs (term ids appended); non-ASCII names get percent-encoded slugs.
        self.cat_slugs = [f"{wp_slug(name)}-{i + 1}" for i, name in enumerate(self.cats)]
        self.tag_slugs = [f"{wp_slug(name)}-{i + 101}" for i, name in enumerate(self.tags)]

    def pick(self, weights: dict[str, int]) -> str:
        """A weighted choice among the keys."""
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # -- text ---------------------------------------------------------------------------

    def title(self, lang: str, lo: int = 2, hi: int = 8) -> str:
        """A capitalised phrase (Japanese without spaces)."""
        words = self.rng.choices(POOLS[lang], k=self.rng.randint(lo, hi))
        text = ("" if lang == "ja" else " ").join(words)
        return text[0].upper() + text[1:]

    def sentence(self, lang: str) -> str:
        """One sentence, with occasional links, emphasis, ``&``, „quotes“ and emoji."""
        rng = self.rng
        if lang == "ja":
            return "".join(rng.choices(JA, k=rng.randint(3, 8))) + "。"
        w = rng.choices(POOLS[lang], k=rng.randint(6, 20))
        roll = rng.random()
        if roll < 0.08:
            i = rng.randrange(len(w))
            w[i] = f'<a href="{SITE}/{rng.choice(EN)}/">{w[i]}</a>'
        elif roll < 0.14:
            w[0] = f"<strong>{w[0]}</strong>"
        elif roll < 0.18:
            w[-1] = f"<em>{w[-1]}</em>"
        elif roll < 0.21:
            w.insert(rng.randrange(len(w)), "&")
        if lang == "de" and rng.random() < 0.4:
            w[1] = f"„{w[1]}“"
        if rng.random() < 0.04:
            w.append(rng.choice(EMOJI))
        text = " ".join(w)
        return text[0].upper() + text[1:] + rng.choice(".....?!")

    def para(self, lang: str) -> str:
        """2–7 sentences, sometimes with single newlines (which wpautop turns into <br>)."""
        sentences = self.rng.choices(self.sentences[lang], k=self.rng.randint(2, 7))
        return ("\n" if self.rng.random() < 0.15 else " ").join(sentences)

    def image(self) -> Image:
        """A recent attachment (callers check that there is one)."""
        return self.rng.choice(self.images)

    # -- content ------------------------------------------------------------------------

    def classic(self, lang: str, target: int) -> str:
        """Classic-editor HTML: blank-line paragraphs, lists, images, shortcodes."""
        rng = self.rng
        parts = [self.para(lang)] + (["<!--more-->"] if rng.random() < 0.3 else [])
        size = len(parts[0])
        while size < target:
            roll = rng.random()
            if roll < 0.55 or not self.images:
                block = self.para(lang)
            elif roll < 0.63:
                tag = rng.choice(["ul", "ol"])
                lis = "".join(f"\t<li>{self.title(lang)}</li>\n" for _ in range(rng.randint(2, 6)))
                block = f"<{tag}>\n{lis}</{tag}>"
            elif roll < 0.73:
                aid, base, width, _ = self.image()
                img = (f'<img class="size-medium wp-image-{aid}" src="{UPLOADS}/{base}-300x200.jpg" alt="'
                       f'{esc(self.title(lang, 1, 3))}" width="300" height="200" srcset="{UPLOADS}/{base}-300x200.jpg '
                       f'300w, {UPLOADS}/{base}-768x512.jpg 768w, {UPLOADS}/{base}.jpg {width}w" sizes="(max-width: '
                       '300px) 100vw, 300px" />')
                block = img if rng.random() < 0.5 else (
                    f'[caption id="attachment_{aid}" align="aligncenter" width="300"]'
                    f'<a href="{UPLOADS}/{base}.jpg">{img}</a> {self.title(lang)}[/caption]')
            elif roll < 0.78:
                ids = ",".join(str(self.image()[0]) for _ in range(rng.randint(2, 6)))
                block = f'[gallery ids="{ids}"' + (' columns="2"]' if rng.random() < 0.5 else "]")
            elif roll < 0.85:
                block = f'[code language="python"]\n{PY_CODE}[/code]'
            elif roll < 0.92:
                block = f"<h2>{self.title(lang)}</h2>"
            else:
                block = f"<blockquote>{self.para(lang)}</blockquote>"
            parts.append(block)
            size += len(block)
        return "\n\n".join(parts)  # fmt: skip

    def blocks(self, lang: str, target: int) -> str:
        """Block-editor markup: paragraph, heading, list, image, code, quote, gallery, embed."""
        rng = self.rng
        out: list[str] = []
        size = 0
        while size < target:
            roll = rng.random()
            if roll < 0.55 or not self.images:
                name, body = "paragraph", f"<p>{self.para(lang)}</p>"
            elif roll < 0.62:
                name, body = "heading", f'<h2 class="wp-block-heading">{self.title(lang)}</h2>'
            elif roll < 0.69:
                lis = "".join(f"<!-- wp:list-item -->\n<li>{self.title(lang)}</li>\n"
                              "<!-- /wp:list-item -->\n" for _ in range(rng.randint(2, 5)))
                name, body = "list", f"<ul>{lis}</ul>"
            elif roll < 0.77:
                out.append(self.block_image(lang))
                size += len(out[-1])
                continue
            elif roll < 0.82:
                code = PY_CODE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                name, body = "code", f'<pre class="wp-block-code"><code>{code}</code></pre>'
            elif roll < 0.88:
                name, body = "quote", (
                    '<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n'
                    f"<p>{self.para(lang)}</p>\n<!-- /wp:paragraph -->"
                    f"<cite>{self.title(lang, 1, 3)}</cite></blockquote>")
            elif roll < 0.93:
                images = "\n\n".join(self.block_image(lang) for _ in range(rng.randint(2, 4)))
                name, body = 'gallery {"linkTo":"none"}', f'<figure class="{GALLERY_CLASS}">{images}</figure>'
            elif roll < 0.97:
                url = f"https://www.youtube.com/watch?v={rng.randrange(16**11):011x}"
                name = f'embed {{"url":"{url}","type":"video","providerNameSlug":"youtube","responsive":true}}'
                body = ('<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube">'
                        f'<div class="wp-block-embed__wrapper">\n{url}\n</div></figure>')
            else:
                name, body = "more", "<!--more-->"
            out.append(f"<!-- wp:{name} -->\n{body}\n<!-- /wp:{name.split()[0]} -->")
            size += len(out[-1])
        return "\n\n".join(out)  # fmt: skip

    def block_image(self, lang: str) -> str:
        """A ``wp:image`` block showing the large size variant."""
        aid, base, _, _ = self.image()
        return (f'<!-- wp:image {{"id":{aid},"sizeSlug":"large","linkDestination":"none"}} -->\n'
                f'<figure class="wp-block-image size-large"><img src="{UPLOADS}/{base}-1024x683.jpg"'
                f' alt="" class="wp-image-{aid}"/><figcaption class="wp-element-caption">'
                f"{self.title(lang, 2, 5)}</figcaption></figure>\n<!-- /wp:image -->")  # fmt: skip

    # -- channel ------------------------------------------------------------------------

    def header(self) -> str:
        """The XML declaration, the namespaces and the channel up to the first item."""
        out = [PREAMBLE.format(created=f"{EXPORTED:%Y-%m-%d %H:%M}", site=SITE, date=rfc822(EXPORTED))]
        for n, (login, name) in enumerate(AUTHORS, 1):
            first, _, last = name.partition(" ")
            out.append(wp("author", [("author_id", n), ("author_login", login),
                                     ("author_email", f"{login}@example.test"), ("author_display_name", name),
                                     ("author_first_name", first), ("author_last_name", last)]))  # fmt: skip
        for i, name in enumerate(self.cats):  # the first 8 are top level, the rest nest
            parent = self.cat_slugs[(i * 7) % (i - 1)] if i >= 8 else ""
            out.append(wp("category", [("term_id", i + 1), ("category_nicename", self.cat_slugs[i]),
                                       ("category_parent", parent), ("cat_name", name)]))
        for i, name in enumerate(self.tags):
            out.append(wp("tag", [("term_id", i + 101), ("tag_slug", self.tag_slugs[i]), ("tag_name", name)]))
        terms = [(301 + i, "genre", wp_slug(g), g, "fiction" if i >= 3 else "") for i, g in enumerate(GENRES)]
        terms.append((400, "nav_menu", "main-menu", "Main menu", ""))
        for tid, tax, slug, name, parent in terms:
            out.append(wp("term", [("term_id", tid), ("term_taxonomy", tax), ("term_slug", slug),
                                   ("term_parent", parent), ("term_name", name)]))  # fmt: skip
        out.append("\n\t<generator>https://wordpress.org/?v=6.4.3</generator>\n\n")
        return "".join(out)

    # -- items --------------------------------------------------------------------------

    def item(self, n: int) -> str:
        """The ``n``-th ``<item>``."""
        rng = self.rng
        ptype, status = SCHEDULE[n] if n < len(SCHEDULE) else (self.pick(TYPES), "")
        status = status or ("inherit" if ptype == "attachment" else "publish"
                            if ptype == "nav_menu_item" else self.pick(STATUSES[ptype]))  # fmt: skip
        password = "secret" if status == "password" else ""
        status = "publish" if password else status
        pid, lang = 1000 + n, rng.choice(LANGS)
        self.clock += timedelta(minutes=rng.randint(1, 2 * self.step))
        local = EXPORTED + timedelta(days=rng.randint(1, 90)) if status == "future" else self.clock
        undated = status in ("draft", "pending")
        title = self.title(lang)
        parent = order = 0
        parent_slug = ""
        content = excerpt = url = ""
        terms: list[tuple[str, str, str]] = []
        metas: list[tuple[str, str]] = [("_edit_last", str(rng.randint(1, 5)))]
        if ptype == "attachment":
            title = rng.choice(["IMG_", "DSC_", "photo-"]) + str(rng.randint(1000, 9999))
            if self.posts and rng.random() < 0.7:
                parent = rng.choice(self.posts)[0]
            base = f"{local:%Y/%m}/{wp_slug(title)}"
            width, height = rng.choice([(1200, 800), (3510, 1974), (2048, 1365), (800, 600)])
            url = f"{UPLOADS}/{base}.jpg"
            excerpt = self.title(lang) if rng.random() < 0.5 else ""
            content = self.para(lang) if rng.random() < 0.3 else ""
            metas = [("_wp_attached_file", base + ".jpg"),
                     ("_wp_attachment_metadata", self.attachment_meta(base, width, height)),
                     ("_wp_attachment_image_alt", self.title(lang, 1, 4))]  # fmt: skip
            self.images.append((pid, base, width, height))
        elif ptype == "nav_menu_item":
            title = "" if rng.random() < 0.6 else self.title(lang, 1, 3)
            target = rng.choice(self.pages or self.posts or [(pid, "")])[0]
            kind = rng.choice(["post_type", "custom"])
            custom = kind == "custom"
            metas = [("_menu_item_type", kind), ("_menu_item_menu_item_parent", "0"),
                     ("_menu_item_object_id", str(pid if custom else target)),
                     ("_menu_item_object", "custom" if custom else "page"), ("_menu_item_target", ""),
                     ("_menu_item_classes", php_serialize([""])), ("_menu_item_xfn", ""),
                     ("_menu_item_url", f"{SITE}/{rng.choice(EN)}/" if custom else "")]
            order, terms = n % 10 + 1, [("nav_menu", "main-menu", "Main menu")]  # fmt: skip
        else:
            size = min(int(rng.lognormvariate(7.85, 0.8)), 200_000)
            if ptype == "page":
                size //= 2
                if self.pages and rng.random() < 0.4:
                    parent, parent_slug = rng.choice(self.pages)
                order = rng.randint(0, 10)
                metas.append(("_wp_page_template", rng.choice(["default", "full-width.php"])))
            editor = self.blocks if rng.random() < 0.45 else self.classic
            content = editor(lang, size)
            if rng.random() < 0.2:
                excerpt = rng.choice(self.sentences[lang])
            if ptype == "post":
                terms = [("category", self.cat_slugs[c], self.cats[c])
                         for c in sorted(rng.sample(range(30), rng.randint(1, 3)))]
                terms += [("post_tag", self.tag_slugs[t], self.tags[t])
                          for t in sorted(rng.sample(range(100), rng.randint(0, 6)))]  # fmt: skip
            elif ptype == "portfolio":
                terms = [("genre", wp_slug(g), g) for g in rng.sample(GENRES, rng.randint(1, 2))]
            if self.images and rng.random() < 0.6:
                metas.append(("_thumbnail_id", str(self.image()[0])))
            if rng.random() < 0.3:
                related = [p for p, _ in rng.sample(self.posts, min(3, len(self.posts)))]
                metas.append(("_custom_settings", php_serialize({"layout": rng.choice(["wide", "narrow"]), "ratio": 0.5,
                              "show_title": rng.random() < 0.5, "label": self.title(lang, 1, 3), "related": related})))
            if rng.random() < 0.2:
                metas.append(("_yoast_wpseo_metadesc", rng.choice(self.sentences[lang])))
        slug = "" if undated and rng.random() < 0.5 else wp_slug(title)
        if ptype == "nav_menu_item":
            slug = str(pid)
        link = (f"{SITE}/?p={pid}" if undated or ptype == "nav_menu_item" or not slug
                else f"{SITE}/{local:%Y/%m/%d}/{slug}/" if ptype == "post"
                else f"{SITE}/{ptype}/{slug}/" if ptype == "portfolio"
                else f"{SITE}/?attachment_id={pid}" if ptype == "attachment"
                else f"{SITE}/{parent_slug}/{slug}/" if parent_slug else f"{SITE}/{slug}/")  # fmt: skip
        if status == "trash":  # WordPress renames trashed posts and remembers their status
            slug += "__trashed"
            when = str(int((local - TZ - EPOCH).total_seconds()))
            metas += [("_wp_trash_meta_status", "publish"), ("_wp_trash_meta_time", when)]
        if ptype == "page" and slug:
            self.pages.append((pid, f"{parent_slug}/{slug}".lstrip("/")))
        elif ptype == "post" and status == "publish":
            self.posts.append((pid, slug))
        gmt = NO_DATE if undated else fmt(local - TZ)
        sticky = int(ptype == "post" and status == "publish" and rng.random() < 0.02)
        fields: Fields = [
            ("post_id", pid), ("post_date", fmt(local)), ("post_date_gmt", gmt), ("post_modified", fmt(local)),
            ("post_modified_gmt", gmt), ("comment_status", rng.choice(["open", "open", "closed"])),
            ("ping_status", rng.choice(["open", "closed"])), ("post_name", slug), ("status", status),
            ("post_parent", parent), ("menu_order", order), ("post_type", ptype), ("post_password", password),
            ("is_sticky", sticky)]  # fmt: skip
        fields += [("attachment_url", url)] if url else []
        out = [
            f"\t<item>\n\t\t<title>{cdata(title)}</title>\n\t\t<link>{esc(link)}</link>\n"
            f"\t\t<pubDate>{NO_PUBDATE if undated else rfc822(local - TZ)}</pubDate>\n"
            f"\t\t<dc:creator>{cdata(rng.choice(AUTHORS)[0])}</dc:creator>\n"
            f'\t\t<guid isPermaLink="false">{esc(url or f"{SITE}/?p={pid}")}</guid>\n'
            f"\t\t<description></description>\n\t\t<content:encoded>{cdata(content)}"
            f"</content:encoded>\n\t\t<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>\n",
            wp_fields(fields, "\t\t"),
        ]
        out += [f'\t\t<category domain="{d}" nicename="{esc(s)}">{cdata(t)}</category>\n'
                for d, s, t in terms]  # fmt: skip
        out += [meta(k, v) for k, v in metas]
        if ptype in ("post", "page") and status == "publish":
            out.append(self.comments(lang, local, rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 10])))
        out.append("\t</item>\n")
        return "".join(out)

    def attachment_meta(self, base: str, width: int, height: int) -> str:
        """A serialized ``_wp_attachment_metadata`` with the usual size variants."""
        name = base.rsplit("/", 1)[1]
        sizes = {s: {"file": f"{name}-{w}x{h}.jpg", "width": w, "height": h, "mime-type": "image/jpeg"}
                 for s, w, h in [("thumbnail", 150, 150), ("medium", 300, 200), ("medium_large", 768, 512),
                                 ("large", 1024, 683)]}
        image_meta = {"aperture": "0", "camera": "", "caption": "", "iso": "0", "title": "", "keywords": []}
        return php_serialize({"width": width, "height": height, "file": base + ".jpg", "sizes": sizes,
                              "filesize": self.rng.randint(50_000, 900_000), "image_meta": image_meta})

    def comments(self, lang: str, posted: datetime, count: int) -> str:
        """``count`` comments, some replies nested up to 3 deep, pingbacks and spam."""
        rng, out = self.rng, []
        thread: list[tuple[int, int]] = []  # (comment id, depth)
        for _ in range(count):
            self.comment_id += 1
            cid = self.comment_id
            posted += timedelta(minutes=rng.randint(5, 3000))
            pingback = rng.random() < 0.06
            parents = [(c, d) for c, d in thread if d < 3]
            parent, depth = (rng.choice(parents) if parents and not pingback
                             and rng.random() < 0.45 else (0, 0))  # fmt: skip
            thread.append((cid, depth + 1))
            author = "Another Blog" if pingback else self.title(rng.choice(LANGS), 1, 2)
            text = (f"[…] {rng.choice(self.sentences[lang])} […]" if pingback
                    else "\n\n".join(self.para(lang) for _ in range(rng.randint(1, 2))))
            history = php_serialize({"time": 1417002704.55, "event": "check-ham"})
            cmeta = meta("akismet_history", history, "commentmeta") if rng.random() < 0.2 else ""
            out.append(wp("comment", [
                ("comment_id", cid), ("comment_author", author), ("comment_author_email", f"c{cid}@example.test"),
                ("comment_author_url", f"http://blog{cid % 97}.example.test/" if pingback else ""),
                ("comment_author_IP", f"192.0.2.{cid % 250}"), ("comment_date", fmt(posted)),
                ("comment_date_gmt", fmt(posted - TZ)), ("comment_content", text),
                ("comment_approved", self.pick(APPROVED)),
                ("comment_type", "pingback" if pingback else "comment"), ("comment_parent", parent),
                ("comment_user_id", rng.choice([0, 0, 0, 1]))], "\t\t", cmeta))  # fmt: skip
        return "".join(out)


def generate(path: Path, items: int, seed: int = 0) -> None:
    """Write a synthetic WXR 1.2 export of ``items`` items to ``path``, item by item."""
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        writer = _Writer(items, seed)
        out.write(writer.header())
        for n in range(items):
            out.write(writer.item(n))
        out.write("</channel>\n</rss>\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m bench.generate OUT.xml --items N [--seed S]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("out", type=Path, help="the export to write")
    parser.add_argument("--items", type=int, default=20000, help="number of items")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    generate(args.out, args.items, args.seed)
    seconds, size = time.perf_counter() - start, args.out.stat().st_size
    print(f"{args.out}: {args.items} items, {size / 1e6:.1f} MB in {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
