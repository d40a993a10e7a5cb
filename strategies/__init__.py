"""Labelled request cases derived from the AmplifyBackend spec: a deterministic matrix and
hypothesis strategies for valid and negative requests. Never talks to the network."""

from ._case import Case
from ._counts import spec_counts
from ._edges import Edge, edges
from ._matrix import full_body, matrix, telling_body, valid_body, varied_body
from ._requests import negative_requests, valid_requests

__all__ = [
    "Case",
    "Edge",
    "edges",
    "full_body",
    "matrix",
    "negative_requests",
    "spec_counts",
    "telling_body",
    "valid_body",
    "valid_requests",
    "varied_body",
]
