"""Hypothesis parses source while it draws, and a run draws in many threads: `ast.parse` must
take one lock, or CPython's shared AST depth counter ends some parses in a SystemError."""

from __future__ import annotations

import ast
import threading

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._ast_lock import _LOCK, serialise_ast_parse


@pytest.fixture
def plain_parse(monkeypatch):
    """`ast.parse` as Python has it, put back after the test."""
    parse = ast.parse
    monkeypatch.setattr(ast, "parse", getattr(parse, "__wrapped__", parse))


def test_a_parse_waits_while_another_thread_parses(plain_parse):
    serialise_ast_parse()
    done = threading.Event()
    parser = threading.Thread(target=lambda: (ast.parse("x = 1"), done.set()))
    with _LOCK:  # as a parse in this thread would hold it
        parser.start()
        assert not done.wait(0.3), "a parse went ahead while another held the lock"
    assert done.wait(5), "the parse did not go ahead once the lock was free"
    parser.join()


def test_serialising_twice_wraps_once(plain_parse):
    serialise_ast_parse()
    once = ast.parse
    serialise_ast_parse()
    assert ast.parse is once
    assert isinstance(ast.parse("x = 1"), ast.Module)


def test_a_run_serialises_parsing_before_it_draws(plain_parse):
    assert not getattr(ast.parse, "serialised", False)
    run(RunOptions(operations=("ListS3Buckets",), max_examples=2, seed=1, model=0))
    assert getattr(ast.parse, "serialised", False)
