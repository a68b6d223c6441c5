from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FailureKindInfo")


@_attrs_define
class FailureKindInfo:
    """One kind of attempt failure (an attempt's `failure`, a delivery's `last_failure`), told to people.

    Attributes:
        advice (str): What the subscription's owner can try.
        code (str):
        title (str): What happened, in a line.
        operator_advice (None | str | Unset): What the operator can do besides, where that differs; null otherwise.
    """

    advice: str
    code: str
    title: str
    operator_advice: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        advice = self.advice

        code = self.code

        title = self.title

        operator_advice: None | str | Unset
        if isinstance(self.operator_advice, Unset):
            operator_advice = UNSET
        else:
            operator_advice = self.operator_advice

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "advice": advice,
                "code": code,
                "title": title,
            }
        )
        if operator_advice is not UNSET:
            field_dict["operator_advice"] = operator_advice

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        advice = d.pop("advice")

        code = d.pop("code")

        title = d.pop("title")

        def _parse_operator_advice(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        operator_advice = _parse_operator_advice(d.pop("operator_advice", UNSET))

        failure_kind_info = cls(
            advice=advice,
            code=code,
            title=title,
            operator_advice=operator_advice,
        )

        failure_kind_info.additional_properties = d
        return failure_kind_info

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
