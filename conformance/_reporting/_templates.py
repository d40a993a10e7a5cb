"""The Jinja2 environment the Markdown and HTML renderers share (templates in amplify_reports)."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import jinja2


def _template_source(name: str) -> str:
    return resources.files("amplify_reports").joinpath("templates", name).read_text(encoding="utf-8")


def _markdown_text(value: Any) -> str:
    """Plain text safe inside Markdown prose and table cells: punctuation escaped, one line."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(value))
    return re.sub(r"([\\`*_{}\[\]<>|~&])", r"\\\1", text)


def _markdown_code(value: Any) -> str:
    """Inline code span whose backtick fence cannot be closed by the content."""
    text = re.sub(r"[\r\n]+", " ", str(value))
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _markdown_block(value: Any, lang: str = "") -> str:
    """Fenced code block whose fence is longer than any backtick run in the content."""
    text = str(value)
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


@functools.cache
def environment(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=(kind == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=_markdown_text, md_code=_markdown_code, md_block=_markdown_block)
    return env


def render(template: str, kind: str, **context: Any) -> str:
    """Render one template of amplify_reports/templates ("markdown": plain text; "html": escaped)."""
    return environment(kind).get_template(template).render(**context)
