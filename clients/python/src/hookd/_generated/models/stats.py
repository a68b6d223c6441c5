from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.stats_scope import StatsScope
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.activity_bucket import ActivityBucket
    from ..models.queue_depth import QueueDepth


T = TypeVar("T", bound="Stats")


@_attrs_define
class Stats:
    """Throughput and queue depth.

    Attributes:
        bucket_seconds (int): 60.
        buckets (list[ActivityBucket]): One per minute, oldest first; the last is the current minute.
        queue (QueueDepth): Deliveries not finished now.
        scope (StatsScope): Whose activity a `Stats` answer shows.
        account_id (None | str | Unset): The account, for `account` scope; null for `server`.
    """

    bucket_seconds: int
    buckets: list[ActivityBucket]
    queue: QueueDepth
    scope: StatsScope
    account_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bucket_seconds = self.bucket_seconds

        buckets = []
        for buckets_item_data in self.buckets:
            buckets_item = buckets_item_data.to_dict()
            buckets.append(buckets_item)

        queue = self.queue.to_dict()

        scope = self.scope.value

        account_id: None | str | Unset
        if isinstance(self.account_id, Unset):
            account_id = UNSET
        else:
            account_id = self.account_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bucket_seconds": bucket_seconds,
                "buckets": buckets,
                "queue": queue,
                "scope": scope,
            }
        )
        if account_id is not UNSET:
            field_dict["account_id"] = account_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_bucket import ActivityBucket
        from ..models.queue_depth import QueueDepth

        d = dict(src_dict)
        bucket_seconds = d.pop("bucket_seconds")

        buckets = []
        _buckets = d.pop("buckets")
        for buckets_item_data in _buckets:
            buckets_item = ActivityBucket.from_dict(buckets_item_data)

            buckets.append(buckets_item)

        queue = QueueDepth.from_dict(d.pop("queue"))

        scope = StatsScope(d.pop("scope"))

        def _parse_account_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        account_id = _parse_account_id(d.pop("account_id", UNSET))

        stats = cls(
            bucket_seconds=bucket_seconds,
            buckets=buckets,
            queue=queue,
            scope=scope,
            account_id=account_id,
        )

        stats.additional_properties = d
        return stats

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
