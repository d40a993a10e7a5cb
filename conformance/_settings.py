"""`run` settings kept in a file, as pytest and schemathesis users expect.

Looked for upward from the working directory: the first folder with an ``amplify-conformance.toml``,
or a ``pyproject.toml`` holding a ``[tool.amplify-conformance]`` table, wins (the former first).
``amplify-conformance.toml`` holds the settings at its top level, or under
``[tool.amplify-conformance]`` as pyproject.toml does (so the same table can be moved between
them); not both. The keys are the names of the `run` flags without their dashes (``base-url``,
``level``, ``accept``, ...) with the values the flags take; paths are relative to the file's folder.
Flags on the command line override it. Read with the standard library's tomllib.
"""

from __future__ import annotations

import argparse
import difflib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILE_NAME = "amplify-conformance.toml"
TABLE = "amplify-conformance"
# A settings file is committed: credentials belong on the command line or in the environment.
_SECRET_HEADER = re.compile(r"token|secret|authori[sz]ation|cookie|key|password|credential|signature", re.I)


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file, the key and the line."""


def find_settings(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """(file, its settings table) of the nearest settings file above ``start``, or None."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        own = folder / FILE_NAME
        if own.is_file():
            return own, _own_table(own, _load(own))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            text = _text(pyproject)
            if TABLE not in text:  # not ours: never parse someone else's file
                continue
            tool = _load(pyproject, text).get("tool")
            table = tool.get(TABLE) if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return pyproject, table
            if table is not None:
                raise SettingsError(f"{pyproject}: [tool.{TABLE}] must be a table of run settings")
    return None


def _own_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The settings of an amplify-conformance.toml: its top level, or its [tool.amplify-conformance]."""
    if "tool" not in data:
        return data
    tool = data["tool"]
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    others = sorted(k for k in data if k != "tool")
    if not isinstance(table, dict) or len(tool) > 1:
        found = ", ".join(f"[tool.{k}]" for k in tool) if isinstance(tool, dict) else "tool"
        raise SettingsError(
            f"{path}: {found} is not read here: put the run settings at the top level, or under "
            f"[tool.{TABLE}] (as in pyproject.toml)"
        )
    if others:
        raise SettingsError(
            f"{path}: settings both at the top level ({', '.join(others)}) and under [tool.{TABLE}]: "
            f"keep one of the two (move {', '.join(others)} under [tool.{TABLE}], or drop the [tool.{TABLE}] line)"
        )
    return table


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {getattr(exc, 'strerror', None) or exc}") from None


def _load(path: Path, text: str | None = None) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path) if text is None else text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not TOML: {exc}") from None


def run_defaults(path: Path, table: Mapping[str, Any], parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Each setting as the value its flag would have given (dest -> value), checked the same way."""
    actions = {
        option[2:]: action
        for action in parser._actions  # argparse keeps no public list of a parser's options
        for option in action.option_strings
        if option.startswith("--") and not option.startswith("--no-") and action.dest != "help"
    }
    values: dict[str, Any] = {}
    for key, value in table.items():
        action = actions.get(key)
        if action is None:
            hint = difflib.get_close_matches(key.replace("_", "-"), actions, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else f" (known: {', '.join(sorted(actions))})"
            raise SettingsError(_where(path, key) + f"unknown setting{also}")
        try:
            values[action.dest] = _convert(path, key, value, action)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            raise SettingsError(_where(path, key) + str(exc)) from None
    return values


def _convert(path: Path, key: str, value: Any, action: argparse.Action) -> Any:
    if isinstance(action, argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise TypeError(f"{value!r} is not true or false")
        return value
    if isinstance(action, argparse._AppendAction):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise TypeError(f"{value!r} is not a string or a list of strings")
        if key == "header":
            secret = [item for item in items if _SECRET_HEADER.search(item.partition(":")[0])]
            if secret:
                name = secret[0].partition(":")[0].strip()
                raise ValueError(f"header {name!r} looks like a credential; pass it with --header, not in a file")
        return items
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"{value!r} is not a {'number' if action.type in (int, float) else 'string'}")
    converted = action.type(str(value)) if action.type else str(value)
    if isinstance(converted, Path) and not converted.is_absolute():
        converted = path.parent / converted
    return converted


def _where(path: Path, key: str) -> str:
    """'file:line: [table] key: ', the line found by the key's name where the table is."""
    lines = _text(path).splitlines()
    header = re.compile(rf'^\s*\[\s*tool\s*\.\s*"?{re.escape(TABLE)}"?\s*\]')
    start = next((i for i, text in enumerate(lines) if header.match(text)), None)
    key_line = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
    found = next((i for i in range(start or 0, len(lines)) if key_line.match(lines[i])), None)
    table = f"[tool.{TABLE}] " if start is not None else ""
    return f"{path}{'' if found is None else f':{found + 1}'}: {table}{key}: "
