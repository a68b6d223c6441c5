from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.schema_validation import SchemaValidation
from ..types import UNSET, Unset

T = TypeVar("T", bound="UpdateApp")


@_attrs_define
class UpdateApp:
    """
    Attributes:
        catalog_only (bool | None | Unset):
        max_subscriptions (int | None | Unset):
        name (None | str | Unset): `null` clears the name.
        retention_days (int | None | Unset): `null` returns to the server's retention.
        schema_validation (None | SchemaValidation | Unset):
    """

    catalog_only: bool | None | Unset = UNSET
    max_subscriptions: int | None | Unset = UNSET
    name: None | str | Unset = UNSET
    retention_days: int | None | Unset = UNSET
    schema_validation: None | SchemaValidation | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        catalog_only: bool | None | Unset
        if isinstance(self.catalog_only, Unset):
            catalog_only = UNSET
        else:
            catalog_only = self.catalog_only

        max_subscriptions: int | None | Unset
        if isinstance(self.max_subscriptions, Unset):
            max_subscriptions = UNSET
        else:
            max_subscriptions = self.max_subscriptions

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

        schema_validation: None | str | Unset
        if isinstance(self.schema_validation, Unset):
            schema_validation = UNSET
        elif isinstance(self.schema_validation, SchemaValidation):
            schema_validation = self.schema_validation.value
        else:
            schema_validation = self.schema_validation

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if catalog_only is not UNSET:
            field_dict["catalog_only"] = catalog_only
        if max_subscriptions is not UNSET:
            field_dict["max_subscriptions"] = max_subscriptions
        if name is not UNSET:
            field_dict["name"] = name
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days
        if schema_validation is not UNSET:
            field_dict["schema_validation"] = schema_validation

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_catalog_only(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        catalog_only = _parse_catalog_only(d.pop("catalog_only", UNSET))

        def _parse_max_subscriptions(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_subscriptions = _parse_max_subscriptions(d.pop("max_subscriptions", UNSET))

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

        def _parse_schema_validation(data: object) -> None | SchemaValidation | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                schema_validation_type_1 = SchemaValidation(data)

                return schema_validation_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SchemaValidation | Unset, data)

        schema_validation = _parse_schema_validation(d.pop("schema_validation", UNSET))

        update_app = cls(
            catalog_only=catalog_only,
            max_subscriptions=max_subscriptions,
            name=name,
            retention_days=retention_days,
            schema_validation=schema_validation,
        )

        return update_app
