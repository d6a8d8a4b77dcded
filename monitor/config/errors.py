"""Configuration errors that point at the file, line, table and field at fault."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, where: str | None = None):
        self.path = str(path)
        self.line = line
        self.where = where
        self.message = message
        place = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{place}: {where + ': ' if where else ''}{message}")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; syntax errors become ConfigErrors with the parser's line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError(path, f"TOML syntax error: {exc}", line=int(match.group(1)) if match else None) from None


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"']+)\s*\]\]?\s*(#.*)?$")


def locate(text: str, table: str, index: int | None, field_path: Sequence[str | int] = ()) -> int | None:
    """Best-effort line number of `field_path` inside the `index`-th `[[table]]` (or `[table]`).

    tomllib keeps no positions, so we scan the text: good enough to send an editor to the right place.
    """
    lines = text.splitlines()
    start = None
    seen = -1
    for number, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header and header.group(1) == table:
            seen += 1
            if index is None or seen == index:
                start = number
                break
    if start is None:
        return None
    keys = [str(part) for part in field_path if not isinstance(part, int)]
    if not keys:
        return start
    current_table = table
    best = start
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        header = _HEADER.match(line)
        if header:
            name = header.group(1)
            if not name.startswith(table + "."):
                break  # left this table
            current_table = name
            if name == ".".join([table, *keys[:-1]]) and len(keys) > 1:
                best = number
            continue
        prefix = current_table[len(table) + 1 :].split(".") if current_table != table else []
        remaining = keys[len(prefix) :] if keys[: len(prefix)] == prefix else None
        if remaining and re.match(rf"^\s*{re.escape(remaining[0])}\s*=", line):
            return number
    return best


def raise_validation(exc: ValidationError, path: Path, text: str, table: str, index: int | None, label: str) -> None:
    """Turn the first pydantic error into a ConfigError naming file:line, the table and the field."""
    first = exc.errors()[0]
    loc = [part for part in first["loc"] if part not in ("function-after", "function-before")]
    field = ".".join(str(p) for p in loc)
    line = locate(text, table, index, loc)
    message = first["msg"]
    if first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] == "extra_forbidden":
        message = "unknown field (check the spelling)"
    raise ConfigError(path, f"field '{field}': {message}", line=line, where=label) from None
