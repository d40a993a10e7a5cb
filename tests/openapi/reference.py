"""A reader for the API reference text (a PDF turned into text), used by the traceability test.

It is written against the document's meaning, not its typography: headings come at any level
or only in bold, tables wrap across pages, ``Values:`` lists wrap, underscores are escaped.
Everything it returns carries the reference's line number so a failure points at the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# The project carries the text its spec was derived from, so its tests need nothing beside the clone.
REFERENCE = Path(__file__).resolve().parents[2] / "openapi" / "reference" / "000_5c2bf2e65fbe989c.txt"

_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PARAM_ROW = re.compile(r"^<i>(\w+)</i>\t(\w+)\t(True|False)\t(.*)$")
_RESPONSE_ROW = re.compile(r"^(\d{3})\t(?:<a[^>]*>)?([A-Za-z0-9]+)(?:</a>)?\t")


def clean(line: str) -> str:
    """The text of a line without markdown decoration or escaped underscores."""
    text = line.replace("\\_", "_").strip()
    text = re.sub(r"^#+\s*", "", text)
    text = text.replace("**", "").replace("`", "").strip()
    return text


def _is_heading(line: str) -> bool:
    raw = line.strip()
    return raw.startswith("#") or (raw.startswith("**") and raw.endswith("**") and len(raw) > 4)


@dataclass
class Member:
    name: str
    line: int
    type: str = ""
    required: bool | None = None
    values: list[str] = field(default_factory=list)
    deprecated: bool = False
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


@dataclass
class Model:
    name: str
    line: int
    members: list[Member] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # a model that is itself an enum
    deprecated: bool = False
    description: str = ""


@dataclass
class Operation:
    operation_id: str
    method: str
    uri: str
    line: int
    path_parameters: list[str] = field(default_factory=list)
    responses: dict[str, str] = field(default_factory=dict)


@dataclass
class Resource:
    title: str
    uri: str
    line: int
    operations: list[Operation] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)


def _values(lines: list[str], start: int) -> list[str]:
    """A ``Values:`` list, which may wrap onto the next lines."""
    text = clean(lines[start]).split(":", 1)[1]
    i = start + 1
    while i < len(lines) and (text.rstrip().endswith("|") or clean(lines[i]).startswith("|")):
        if clean(lines[i]):
            text += " " + clean(lines[i])
        i += 1
    return [v.strip() for v in text.split("|") if v.strip()]


def _properties(lines: list[str], start: int, end: int) -> list[Model]:
    """Models and their members between a resource's Properties heading and its See also."""
    blocks: list[tuple[str, int, list[int]]] = []
    for i in range(start, end):
        text = clean(lines[i])
        if _is_heading(lines[i]) and _NAME.match(text) and text not in {"Properties"}:
            blocks.append((text, i, []))
        elif blocks:
            blocks[-1][2].append(i)
    models: list[Model] = []
    for name, line, body in blocks:
        texts = [(i, clean(lines[i])) for i in body]
        typed = next((t for _, t in texts if t.startswith("Type:")), None)
        deprecated = any(t.startswith("(DEPRECATED)") for _, t in texts)
        prose = [t for _, t in texts if t and not re.match(r"^(Type|Required|Values|Minimum|Maximum):", t)]
        prose = [t for t in prose if not (_NAME.match(t) and t.upper() == t) and not t.startswith("|")]
        description = " ".join(prose).replace("(DEPRECATED)", "").strip()
        if typed is None:
            model = Model(name, line + 1, deprecated=deprecated, description=description)
            model.values = [t for i, t in texts if _NAME.match(t) and t.upper() == t]
            models.append(model)
            continue
        member = Member(name, line + 1, deprecated=deprecated, description=description)
        for i, t in texts:
            if t.startswith("Type:"):
                member.type = re.sub(r"\]\(#\)", "", t.split(":", 1)[1]).replace("[", "").strip()
            elif t.startswith("Required:"):
                member.required = t.split(":", 1)[1].strip() == "True"
            elif t.startswith("Values:"):
                member.values = _values(lines, i)
            elif t.startswith("Minimum:"):
                member.minimum = int(t.split(":", 1)[1])
            elif t.startswith("Maximum:"):
                member.maximum = int(t.split(":", 1)[1])
        if models:
            models[-1].members.append(member)
    return models


@cache
def resources() -> list[Resource]:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    uri_lines = [i for i, line in enumerate(lines) if line.strip().startswith("/prod/")]
    found: list[Resource] = []
    for n, u in enumerate(uri_lines):
        end = uri_lines[n + 1] if n + 1 < len(uri_lines) else len(lines)
        title_line = max(i for i in range(u) if clean(lines[i]) == "URI") - 1
        while not clean(lines[title_line]):
            title_line -= 1
        uri = lines[u].strip().replace("*", "").replace("\\_", "_")
        resource = Resource(clean(lines[title_line]), uri, u + 1)
        # the next resource's title and description belong to it, not to this one
        stop = end
        if n + 1 < len(uri_lines):
            stop = max(i for i in range(end) if clean(lines[i]) == "URI")
        method, op = None, None
        props_start = props_end = None
        for i in range(u + 1, stop):
            text = clean(lines[i])
            if _is_heading(lines[i]) and text in _METHODS:
                method, op = text, None
                resource.methods.append(text)
            elif text.startswith("Operation ID:"):
                op = Operation(text.split(":", 1)[1].strip(), method or "", uri, i + 1)
                resource.operations.append(op)
            elif (m := _PARAM_ROW.match(lines[i].replace("\\_", "_"))) and op is not None and method != "OPTIONS":
                op.path_parameters.append(m.group(1))
            elif (m := _RESPONSE_ROW.match(lines[i])) and op is not None and method != "OPTIONS":
                op.responses[m.group(1)] = m.group(2)
            elif text == "Properties" and props_start is None:
                props_start = i + 1
            elif text == "See also" and props_start is not None and props_end is None:
                props_end = i
        if props_start is not None:
            resource.models = _properties(lines, props_start, props_end or stop)
        found.append(resource)
    return found


def operations() -> list[Operation]:
    return [op for r in resources() for op in r.operations]
