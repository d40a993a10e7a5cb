"""R6: unusual but well-typed inputs, a fixed set per operation (amplify_strategies.edges).

Whether very long strings, reserved or percent-ish characters, text outside ASCII and the BMP,
empty strings and arrays, large numbers or deep nesting are accepted or answered 400 is open
(CONTRACT, "What the contract leaves open"); a 5xx other than 504 never is (R6.no-5xx). So
every answer here is judged by the exchange checks alone (documented status, body schema, no
5xx, the aws conventions), each under its edge's label (``edge:body-strings:long-5000``,
``edge:path:appId:%2F``), and the family expects no status of its own: 200, 400 and 404 are
all conformant, and an identifier that names nothing is 404.

Asked in a world of their own, given what the operation names (the workflows go on in the
matrix's world meanwhile), before the fuzzing in the same world. Path edges name nothing, so
they go to that world as it is. Body edges go where the operation's state is in place: each in
an environment of its own, new to the world's app, for an operation that makes what it names
(as the matrix does); each in a fresh world given what the operation names, for one that
removes what it names (a 200 takes it away); else in the given world. What the
world's app and environment are named stays the world's (``Unit.identity``), a resource's name
takes the edge's value too; an edge that would change nothing else is not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import amplify_strategies as strategies

from ._target import NO_BODY, Exchange
from ._unit import Unit
from ._world import World, makes_what_it_names, removes_what_it_names

FAN_OUT = 16  # edges sent at once when the target's answers take a round trip worth overlapping


def edges(unit: Unit, world: World) -> World:
    """Send the operation's edges; the world left for what follows (the unit's, untouched but
    for what its path edges may do to names that are no one's)."""
    cases = strategies.edges(unit.id)
    _path_edges(unit, world, [edge for edge in cases if edge.parameter])
    body_edges = [edge for edge in cases if not edge.parameter]
    if body_edges and not unit.would_remove_given_app:
        _body_edges(unit, world, body_edges)
    return world


def _path_edges(unit: Unit, world: World, cases: list[strategies.Edge]) -> None:
    params = world.path_parameters(unit.op)
    makes = makes_what_it_names(unit.id)

    def send(edge: strategies.Edge) -> Exchange:
        named = {**params, edge.parameter: edge.value}
        place = World(named.get("appId", world.app_id), named.get("backendEnvironmentName", world.env))
        body = NO_BODY if edge.body is None else unit.identity(edge.body, place)
        if makes or unit.id == "CloneBackend":  # it may make something under an odd name: clean it up
            unit.run_.created(place.app_id, (place.env, place.clone_env))
        return unit.send(unit.op, named, body, case=edge.label)

    _all(unit, [lambda edge=edge: send(edge) for edge in cases])


def _body_edges(unit: Unit, world: World, cases: list[strategies.Edge]) -> None:
    if makes_what_it_names(unit.id):  # each in an environment of its own, new to the app
        places = [_place(unit, world, n) for n in range(len(cases))]
        _all(
            unit,
            [
                lambda edge=edge, place=place: _send(unit, place, edge)
                for edge, place in zip(cases, places, strict=True)
            ],
        )
        return
    removes = removes_what_it_names(unit.id)
    # the world given holds what this names and is left so for the fuzzing: a 200 of one that
    # removes what it names takes it away, so those go elsewhere
    home = unit.new_worlds(1)[0] if removes else world
    if not removes:
        _all(unit, [send for edge in cases if (send := _sender(unit, home, edge))])
        return
    # each in a world of its own, made together (a 200 removes what it names), whatever the
    # timing, so that two runs of one seed send the same requests in the same order
    homes = [home, *unit.new_worlds(len(cases) - 1)] if len(cases) > 1 else [home]
    _all(unit, [send for edge, place in zip(cases, homes, strict=True) if (send := _sender(unit, place, edge))])


def _place(unit: Unit, world: World, n: int) -> World:
    """Edge ``n``'s own environment, new to the world's app (recorded for the cleanup)."""
    place = world.sibling(f"x{n}")
    unit.run_.created(place.app_id, (place.env,))
    return place


def _sender(unit: Unit, world: World, edge: strategies.Edge) -> Callable[[], Exchange] | None:
    """The edge's send in the world, or None when, the world's names in place, it changes
    nothing of the operation's full body (its only free strings are the world's names)."""
    body = _named(unit, edge.body, world)
    if edge.place == "body-strings" and body == _named(unit, strategies.full_body(unit.id), world):
        return None
    return lambda: unit.send(unit.op, world.path_parameters(unit.op), body, case=edge.label)


def _named(unit: Unit, body: Any, world: World) -> Any:
    """The body with the world's app and environment names in place (``Unit.identity``); any
    other member identity would name the same in every call (a resource's name) keeps the
    edge's value, as the edge is about it: naming what the world does not hold is 404 at worst."""
    named = unit.identity(body, world)
    if not isinstance(body, dict):
        return named
    worlds = {world.app_id, world.env, world.clone_env}
    for member, value in body.items():
        if named.get(member) != value and named.get(member) not in worlds:
            named[member] = value
    return named


def _send(unit: Unit, world: World, edge: strategies.Edge) -> Exchange | None:
    send = _sender(unit, world, edge)
    return send() if send else None


def _all(unit: Unit, sends: list[Callable[[], Any]]) -> None:
    """Every send, FAN_OUT at a time against a target whose answers take a round trip (each is
    judged on its own answer alone), else one after the other (Unit.side_by_side)."""
    for start in range(0, len(sends), FAN_OUT):
        unit.side_by_side(sends[start : start + FAN_OUT])
