from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ListResponseFailureGroupDataItem")


@_attrs_define
class ListResponseFailureGroupDataItem:
    """A subscription's retrying and dead deliveries whose last attempts failed alike: the same failure kind,
    status code and error.

        Attributes:
            dead (int): Deliveries of the group that ran out of attempts.
            delivery_id (str): The group's latest delivery.
            latest_at (datetime.datetime): When the group's latest delivery last changed.
            retrying (int): Deliveries of the group that will be tried again.
            error (None | str | Unset):
            failure (None | str | Unset): The failure kind (`GET /api/v1/failure-kinds`); null for deliveries whose last
                attempt is older
                than the kinds were kept with deliveries.
            status_code (int | None | Unset):
    """

    dead: int
    delivery_id: str
    latest_at: datetime.datetime
    retrying: int
    error: None | str | Unset = UNSET
    failure: None | str | Unset = UNSET
    status_code: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dead = self.dead

        delivery_id = self.delivery_id

        latest_at = self.latest_at.isoformat()

        retrying = self.retrying

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        failure: None | str | Unset
        if isinstance(self.failure, Unset):
            failure = UNSET
        else:
            failure = self.failure

        status_code: int | None | Unset
        if isinstance(self.status_code, Unset):
            status_code = UNSET
        else:
            status_code = self.status_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dead": dead,
                "delivery_id": delivery_id,
                "latest_at": latest_at,
                "retrying": retrying,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if failure is not UNSET:
            field_dict["failure"] = failure
        if status_code is not UNSET:
            field_dict["status_code"] = status_code

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        dead = d.pop("dead")

        delivery_id = d.pop("delivery_id")

        latest_at = datetime.datetime.fromisoformat(d.pop("latest_at"))

        retrying = d.pop("retrying")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_failure(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure = _parse_failure(d.pop("failure", UNSET))

        def _parse_status_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status_code = _parse_status_code(d.pop("status_code", UNSET))

        list_response_failure_group_data_item = cls(
            dead=dead,
            delivery_id=delivery_id,
            latest_at=latest_at,
            retrying=retrying,
            error=error,
            failure=failure,
            status_code=status_code,
        )

        list_response_failure_group_data_item.additional_properties = d
        return list_response_failure_group_data_item

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
