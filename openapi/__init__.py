"""The AmplifyBackend OpenAPI spec, loaded once: the only place that knows the reference."""

from ._spec import (
    Operation,
    document,
    enum_names,
    errors,
    is_valid,
    model_names,
    operation,
    operations,
    resources,
    schema,
    spelling_groups,
    spellings,
    validator,
)

__all__ = [
    "Operation",
    "document",
    "enum_names",
    "errors",
    "is_valid",
    "model_names",
    "operation",
    "operations",
    "resources",
    "schema",
    "spelling_groups",
    "spellings",
    "validator",
]
