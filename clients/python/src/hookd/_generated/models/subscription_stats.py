from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attempt_bucket import AttemptBucket


T = TypeVar("T", bound="SubscriptionStats")


@_attrs_define
class SubscriptionStats:
    """A subscription's attempts per hour.

    Attributes:
        bucket_seconds (int): 3600.
        buckets (list[AttemptBucket]): One per hour, oldest first; the last is the current hour.
        failed (int): Attempts that failed, in all buckets.
        since (datetime.datetime): The start of the first bucket.
        succeeded (int): Attempts that succeeded, in all buckets.
        success_rate (float | None | Unset): succeeded / (succeeded + failed); null when there was no attempt.
    """

    bucket_seconds: int
    buckets: list[AttemptBucket]
    failed: int
    since: datetime.datetime
    succeeded: int
    success_rate: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bucket_seconds = self.bucket_seconds

        buckets = []
        for buckets_item_data in self.buckets:
            buckets_item = buckets_item_data.to_dict()
            buckets.append(buckets_item)

        failed = self.failed

        since = self.since.isoformat()

        succeeded = self.succeeded

        success_rate: float | None | Unset
        if isinstance(self.success_rate, Unset):
            success_rate = UNSET
        else:
            success_rate = self.success_rate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bucket_seconds": bucket_seconds,
                "buckets": buckets,
                "failed": failed,
                "since": since,
                "succeeded": succeeded,
            }
        )
        if success_rate is not UNSET:
            field_dict["success_rate"] = success_rate

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.attempt_bucket import AttemptBucket

        d = dict(src_dict)
        bucket_seconds = d.pop("bucket_seconds")

        buckets = []
        _buckets = d.pop("buckets")
        for buckets_item_data in _buckets:
            buckets_item = AttemptBucket.from_dict(buckets_item_data)

            buckets.append(buckets_item)

        failed = d.pop("failed")

        since = datetime.datetime.fromisoformat(d.pop("since"))

        succeeded = d.pop("succeeded")

        def _parse_success_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        success_rate = _parse_success_rate(d.pop("success_rate", UNSET))

        subscription_stats = cls(
            bucket_seconds=bucket_seconds,
            buckets=buckets,
            failed=failed,
            since=since,
            succeeded=succeeded,
            success_rate=success_rate,
        )

        subscription_stats.additional_properties = d
        return subscription_stats

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
