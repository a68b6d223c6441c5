from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="HealthCount")


@_attrs_define
class HealthCount:
    """How many subscriptions of one app of one account are in each health.

    Attributes:
        account_id (str):
        app_id (str):
        disabled (int):
        failing (int):
        healthy (int):
        locked (int):
    """

    account_id: str
    app_id: str
    disabled: int
    failing: int
    healthy: int
    locked: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        app_id = self.app_id

        disabled = self.disabled

        failing = self.failing

        healthy = self.healthy

        locked = self.locked

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "app_id": app_id,
                "disabled": disabled,
                "failing": failing,
                "healthy": healthy,
                "locked": locked,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        app_id = d.pop("app_id")

        disabled = d.pop("disabled")

        failing = d.pop("failing")

        healthy = d.pop("healthy")

        locked = d.pop("locked")

        health_count = cls(
            account_id=account_id,
            app_id=app_id,
            disabled=disabled,
            failing=failing,
            healthy=healthy,
            locked=locked,
        )

        health_count.additional_properties = d
        return health_count

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
