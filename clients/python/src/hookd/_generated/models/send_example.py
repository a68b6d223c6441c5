from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SendExample")


@_attrs_define
class SendExample:
    """
    Attributes:
        subscription_id (str): The subscription to send it to (whatever its filter).
        example (int | Unset): Which of its examples, from 0 (default).
        version (int | None | Unset): The schema version whose example to send; default the newest.
    """

    subscription_id: str
    example: int | Unset = UNSET
    version: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        subscription_id = self.subscription_id

        example = self.example

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "subscription_id": subscription_id,
            }
        )
        if example is not UNSET:
            field_dict["example"] = example
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        subscription_id = d.pop("subscription_id")

        example = d.pop("example", UNSET)

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        send_example = cls(
            subscription_id=subscription_id,
            example=example,
            version=version,
        )

        return send_example
