from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ActivityBucket")


@_attrs_define
class ActivityBucket:
    """
    Attributes:
        failed (int): Attempts started in the bucket that failed.
        published (int): Events published (created) in the bucket.
        start (datetime.datetime):
        succeeded (int): Attempts started in the bucket that succeeded.
    """

    failed: int
    published: int
    start: datetime.datetime
    succeeded: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed

        published = self.published

        start = self.start.isoformat()

        succeeded = self.succeeded

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "failed": failed,
                "published": published,
                "start": start,
                "succeeded": succeeded,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        failed = d.pop("failed")

        published = d.pop("published")

        start = datetime.datetime.fromisoformat(d.pop("start"))

        succeeded = d.pop("succeeded")

        activity_bucket = cls(
            failed=failed,
            published=published,
            start=start,
            succeeded=succeeded,
        )

        activity_bucket.additional_properties = d
        return activity_bucket

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
