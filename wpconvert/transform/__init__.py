"""Transforms from WordPress content (raw post HTML) to clean Markdown.

The pipeline lives in :mod:`wpconvert.transform.content`; each stage has its own module:
``wpautop`` (classic-editor paragraphs), ``blocks`` (Gutenberg block markup), ``shortcodes``
(``[caption]``, ``[gallery]``, ``[code]`` …), ``html2md`` (HTML to Markdown via html2text).
Stages share a :class:`~wpconvert.transform.context.TransformContext`.
"""
