from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="BatchPolicy")


@_attrs_define
class BatchPolicy:
    """
    Attributes:
        max_events (int): Events per request, 1 to 1000.
        max_wait_ms (int): How long an event may wait for others, 0 to 60 000 ms.
    """

    max_events: int
    max_wait_ms: int

    def to_dict(self) -> dict[str, Any]:
        max_events = self.max_events

        max_wait_ms = self.max_wait_ms

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "max_events": max_events,
                "max_wait_ms": max_wait_ms,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        max_events = d.pop("max_events")

        max_wait_ms = d.pop("max_wait_ms")

        batch_policy = cls(
            max_events=max_events,
            max_wait_ms=max_wait_ms,
        )

        return batch_policy
