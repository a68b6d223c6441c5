from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.queue_depth_by_status import QueueDepthByStatus


T = TypeVar("T", bound="QueueDepth")


@_attrs_define
class QueueDepth:
    """Deliveries not finished now.

    Attributes:
        by_status (QueueDepthByStatus): Per unfinished status: `pending`, `delivering`, `retrying` (zeros included).
        depth (int): All unfinished deliveries.
    """

    by_status: QueueDepthByStatus
    depth: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        by_status = self.by_status.to_dict()

        depth = self.depth

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "by_status": by_status,
                "depth": depth,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.queue_depth_by_status import QueueDepthByStatus

        d = dict(src_dict)
        by_status = QueueDepthByStatus.from_dict(d.pop("by_status"))

        depth = d.pop("depth")

        queue_depth = cls(
            by_status=by_status,
            depth=depth,
        )

        queue_depth.additional_properties = d
        return queue_depth

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
