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

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        where: str | None = None,
        hint: str | None = None,
    ):
        self.path = str(path)
        self.line = line
        self.where = where
        self.message = message
        self.hint = hint
        place = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{place}: {where + ': ' if where else ''}{message}" + (f" (hint: {hint})" if hint else ""))

    @property
    def problems(self) -> list[ConfigError]:
        return [self]


class ConfigErrors(ConfigError):
    """Every problem found in one file, so the person editing it fixes them in one pass."""

    def __init__(self, problems: Sequence[ConfigError]):
        first = problems[0]
        super().__init__(first.path, first.message, first.line, first.where, first.hint)
        self._problems = list(problems)
        Exception.__init__(self, "\n".join(str(p) for p in self._problems))

    @property
    def problems(self) -> list[ConfigError]:
        return self._problems


def raise_all(problems: Sequence[ConfigError]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigErrors(problems)


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


def validation_problems(
    exc: ValidationError, path: Path, text: str, table: str, index: int | None, label: str, prefix: Sequence[str] = ()
) -> list[ConfigError]:
    """Each pydantic error as a ConfigError naming file:line, the table and the field."""
    problems = []
    for error in exc.errors():
        loc = [*prefix, *(part for part in error["loc"] if part not in ("function-after", "function-before"))]
        field = ".".join(str(p) for p in loc)
        line = locate(text, table, index, loc)
        message, hint = describe(error)
        problems.append(ConfigError(path, f"field '{field}': {message}" if field else message, line, label, hint))
    return problems


def describe(error: Any) -> tuple[str, str | None]:
    """A pydantic error in the words of someone editing a TOML file, with a hint where one helps."""
    kind = error["type"]
    if kind == "missing":
        return "required field is missing", None
    if kind == "extra_forbidden":
        return "unknown field", "check the spelling against the README"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {error.get('input')!r}", "TOML booleans are written without quotes"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message, None
