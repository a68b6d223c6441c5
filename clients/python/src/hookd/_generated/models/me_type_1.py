from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.me_type_1_kind import MeType1Kind

T = TypeVar("T", bound="MeType1")


@_attrs_define
class MeType1:
    """An access key of an account.

    Attributes:
        account_id (str):
        account_name (str): The account's name.
        key_id (str):
        kind (MeType1Kind):
        policy (list[str]): The actions the key may take.
    """

    account_id: str
    account_name: str
    key_id: str
    kind: MeType1Kind
    policy: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        account_name = self.account_name

        key_id = self.key_id

        kind = self.kind.value

        policy = self.policy

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "account_name": account_name,
                "key_id": key_id,
                "kind": kind,
                "policy": policy,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        account_name = d.pop("account_name")

        key_id = d.pop("key_id")

        kind = MeType1Kind(d.pop("kind"))

        policy = cast(list[str], d.pop("policy"))

        me_type_1 = cls(
            account_id=account_id,
            account_name=account_name,
            key_id=key_id,
            kind=kind,
            policy=policy,
        )

        me_type_1.additional_properties = d
        return me_type_1

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
