"""One pure builder per output. Each module has ``build(spec) -> dict[path, document]``.

A document is plain data (dicts and lists, rendered as YAML or JSON by the file's
extension) or a ``str`` (Markdown, templates). Builders never touch the disk: the
pipeline renders every document, adds the "generated, do not edit" header and writes.
Paths are relative to the project root and use forward slashes.
"""
from __future__ import annotations

Documents = dict[str, object]
