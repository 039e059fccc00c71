"""The JSON Schema (draft 2020-12) of wpconvert's lossless JSON output.

``export.schema.json`` describes the ``--format json`` document; its ``$defs`` hold
``siteRecord`` and ``itemRecord`` for the lines of ``--format jsonl`` (``jsonlRecord``
accepts either); :func:`definition` makes a standalone schema of one of them::

    jsonschema.validate(json.loads(line), definition("jsonlRecord"))
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA_FILE = "export.schema.json"


def load_schema() -> dict[str, Any]:
    """The export schema as a dict (a fresh copy on each call, safe to modify)."""
    text = files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def definition(name: str) -> dict[str, Any]:
    """A standalone schema for ``$defs/name`` of the export schema (e.g. ``jsonlRecord``).

    It carries every definition, so the references between them resolve as in the whole.
    """
    schema = load_schema()
    if name not in schema["$defs"]:
        raise KeyError(f"no definition {name!r} in {SCHEMA_FILE}")
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}
