"""YAML in and out (front matter, data files, config): the one place PyYAML is imported."""

from __future__ import annotations

import re
from typing import Any

import yaml

# The C emitter is several times faster; fall back to the pure-Python one where the
# extension was not built.
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_ASTRAL = re.compile(r"(?<!\\)((?:\\\\)*)\\U([0-9A-Fa-f]{8})")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(data: Any) -> str:
    """``data`` as block-style YAML: keys in the given order, Unicode as is, no wrapping."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30,
        default_flow_style=False,
    )
    if "\\U" in text:
        # libyaml escapes characters beyond the BMP (emoji) as \UXXXXXXXX inside double
        # quotes; YAML allows them literally, and people read front matter.
        text = _ASTRAL.sub(lambda m: m.group(1) + chr(int(m.group(2), 16)), text)
    return text


def front_matter(data: dict[str, Any], body: str) -> str:
    """A Markdown document: ``---`` YAML front matter ``---``, a blank line, the body."""
    return f"---\n{dump(data)}---\n\n{body}" if data else body


def load(text: str) -> Any:
    """Parse YAML safely (no object construction)."""
    return yaml.load(text, Loader=_Loader)


YAMLError = yaml.YAMLError
