from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateKey")


@_attrs_define
class CreateKey:
    """
    Attributes:
        policy (list[str]): Action patterns: `*`, `hookd:*`, `hookd:subscriptions.write`, `live:UpdateEventSub`, …
        user_id (None | str | Unset): The user this key acts as (Tencent `Operator.UserId`).
    """

    policy: list[str]
    user_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        policy = self.policy

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "policy": policy,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        policy = cast(list[str], d.pop("policy"))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        create_key = cls(
            policy=policy,
            user_id=user_id,
        )

        return create_key
