"""YAML in and out (front matter, data files, config): the one place PyYAML is imported."""

from __future__ import annotations

import re
from typing import Any

import yaml

# The C emitter is several times faster; fall back to the pure-Python one where the
# extension was not built.
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """The safe dumper, with shortcuts for the commonest nodes; its output is the same."""

    def represent_data(self, data: Any) -> Any:
        # Strings and integers exactly as SafeRepresenter represents them (they never get
        # aliases), without its generic dispatch; everything else goes the usual way.
        kind = type(data)
        if kind is str:
            self.alias_key = None
            return yaml.ScalarNode(_STR_TAG, data, style=self.default_style)
        if kind is int:
            self.alias_key = None
            return yaml.ScalarNode(_INT_TAG, str(data), style=self.default_style)
        return super().represent_data(data)


# A \UXXXXXXXX escape, preceded by an even number of backslashes (so not itself escaped).
# The match starts at the first backslash of the run (the look-behind after it checks the
# character before), a literal start the regex engine finds quickly.
_ASTRAL = re.compile(r"\\(?<!\\\\)(\\*+)U([0-9A-Fa-f]{8})")


def _astral(m: re.Match[str]) -> str:
    run = m.group(1)  # the backslashes before the last one
    if len(run) % 2:
        return m.group(0)  # "\\U…": an escaped backslash, then text
    return run + chr(int(m.group(2), 16))


def dump(data: Any) -> str:
    """``data`` as block-style YAML: keys in the given order, Unicode as is, no wrapping."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30,
        default_flow_style=False,
    )
    if "\\U" in text:
        # libyaml escapes characters beyond the BMP (emoji) as \UXXXXXXXX inside double
        # quotes; YAML allows them literally, and people read front matter.
        text = _ASTRAL.sub(_astral, text)
    return text


def front_matter(data: dict[str, Any], body: str) -> str:
    """A Markdown document: ``---`` YAML front matter ``---``, a blank line, the body."""
    return f"---\n{dump(data)}---\n\n{body}" if data else body


def load(text: str) -> Any:
    """Parse YAML safely (no object construction)."""
    return yaml.load(text, Loader=_Loader)


YAMLError = yaml.YAMLError
