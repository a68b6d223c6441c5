from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PublishEvent")


@_attrs_define
class PublishEvent:
    """
    Attributes:
        payload (Any): Any JSON; sent to native receivers byte for byte.
        type_ (str):
        channel_id (None | str | Unset):
        schema_version (int | None | Unset): The schema version of the type to check the payload against (when the app
            validates); default:
            the newest.
        user_id (None | str | Unset):
    """

    payload: Any
    type_: str
    channel_id: None | str | Unset = UNSET
    schema_version: int | None | Unset = UNSET
    user_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        payload = self.payload

        type_ = self.type_

        channel_id: None | str | Unset
        if isinstance(self.channel_id, Unset):
            channel_id = UNSET
        else:
            channel_id = self.channel_id

        schema_version: int | None | Unset
        if isinstance(self.schema_version, Unset):
            schema_version = UNSET
        else:
            schema_version = self.schema_version

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "payload": payload,
                "type": type_,
            }
        )
        if channel_id is not UNSET:
            field_dict["channel_id"] = channel_id
        if schema_version is not UNSET:
            field_dict["schema_version"] = schema_version
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        payload = d.pop("payload")

        type_ = d.pop("type")

        def _parse_channel_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel_id = _parse_channel_id(d.pop("channel_id", UNSET))

        def _parse_schema_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        schema_version = _parse_schema_version(d.pop("schema_version", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        publish_event = cls(
            payload=payload,
            type_=type_,
            channel_id=channel_id,
            schema_version=schema_version,
            user_id=user_id,
        )

        return publish_event
