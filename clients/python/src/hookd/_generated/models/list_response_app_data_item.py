from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.app_kind import AppKind
from ..models.schema_validation import SchemaValidation
from ..types import UNSET, Unset

T = TypeVar("T", bound="ListResponseAppDataItem")


@_attrs_define
class ListResponseAppDataItem:
    """
    Attributes:
        catalog_only (bool): Subscriptions may only list types of the catalog that are not archived (and wildcards that
            take one).
        created_at (datetime.datetime):
        id (str):
        kind (AppKind): What an app is for. `native` is the default; `live-domain` and `live-rtc` back the ApsaraVideo
            Live
            dialect; `cams`, `ess`, `meeting` and `ops` are reserved apps every account has.
        max_subscriptions (int):
        schema_validation (SchemaValidation): What a publish does with the app's catalog: nothing (`off`), flag a
            payload that does not fit its
            type's schema and accept it (`warn`), or refuse it (`enforce`, which also refuses unknown and
            archived types).
        updated_at (datetime.datetime):
        name (None | str | Unset):
        retention_days (int | None | Unset): Days the app's payloads and attempt logs are kept; null: the server's
            retention.
    """

    catalog_only: bool
    created_at: datetime.datetime
    id: str
    kind: AppKind
    max_subscriptions: int
    schema_validation: SchemaValidation
    updated_at: datetime.datetime
    name: None | str | Unset = UNSET
    retention_days: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        catalog_only = self.catalog_only

        created_at = self.created_at.isoformat()

        id = self.id

        kind = self.kind.value

        max_subscriptions = self.max_subscriptions

        schema_validation = self.schema_validation.value

        updated_at = self.updated_at.isoformat()

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        retention_days: int | None | Unset
        if isinstance(self.retention_days, Unset):
            retention_days = UNSET
        else:
            retention_days = self.retention_days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "catalog_only": catalog_only,
                "created_at": created_at,
                "id": id,
                "kind": kind,
                "max_subscriptions": max_subscriptions,
                "schema_validation": schema_validation,
                "updated_at": updated_at,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        catalog_only = d.pop("catalog_only")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        kind = AppKind(d.pop("kind"))

        max_subscriptions = d.pop("max_subscriptions")

        schema_validation = SchemaValidation(d.pop("schema_validation"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_retention_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retention_days = _parse_retention_days(d.pop("retention_days", UNSET))

        list_response_app_data_item = cls(
            catalog_only=catalog_only,
            created_at=created_at,
            id=id,
            kind=kind,
            max_subscriptions=max_subscriptions,
            schema_validation=schema_validation,
            updated_at=updated_at,
            name=name,
            retention_days=retention_days,
        )

        list_response_app_data_item.additional_properties = d
        return list_response_app_data_item

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
