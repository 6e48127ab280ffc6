"""Assertions on parsed SDK models: what the SDK could not map to a typed property lands in
`additional_data`, so a property name that differs from the SDK's model (a v1.0 name on beta,
a typo, snake_case) shows up there and nowhere else."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Iterable


def unmapped(obj: Any) -> set[str]:
    """Properties of `obj` that the SDK did not recognise (OData annotations aside)."""
    return {k for k in (getattr(obj, "additional_data", None) or {}) if not k.startswith("@")}


def assert_fully_typed(obj: Any, what: str) -> None:
    leaked = unmapped(obj)
    assert not leaked, f"{what}: properties the SDK does not know (wrong names for this API version?): {sorted(leaked)}"


def assert_entity_basics(obj: Any, cls: type, what: str) -> None:
    assert isinstance(obj, cls), f"{what}: parsed as {type(obj).__name__}, not {cls.__name__}"
    assert obj.id and uuid.UUID(obj.id), f"{what}: id {obj.id!r}"
    assert obj.display_name, f"{what}: displayName missing"
    assert isinstance(obj.created_date_time, datetime.datetime), f"{what}: createdDateTime {obj.created_date_time!r}"
    assert obj.created_date_time.utcoffset() == datetime.timedelta(0), f"{what}: createdDateTime not UTC"
    assert_fully_typed(obj, what)


def first_with(items: Iterable[Any], pred, message: str) -> Any:
    for item in items:
        if pred(item):
            return item
    raise AssertionError(message)
