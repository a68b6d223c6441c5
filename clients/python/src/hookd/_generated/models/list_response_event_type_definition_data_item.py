from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.schema_version import SchemaVersion


T = TypeVar("T", bound="ListResponseEventTypeDefinitionDataItem")


@_attrs_define
class ListResponseEventTypeDefinitionDataItem:
    """An event type of an app's catalog.

    Attributes:
        archived (bool): Archived types are refused where the app asks (`catalog_only`, `schema_validation` enforce).
        created_at (datetime.datetime):
        deprecated (bool): Still published and subscribable, but on its way out.
        name (str): The event type, e.g. `order.created`.
        updated_at (datetime.datetime):
        versions (list[SchemaVersion]): Its schema versions, oldest first; a publish names one (`schema_version`) or
            gets the newest.
        description (None | str | Unset):
        group (None | str | Unset): Types of one group (`order`) are shown together.
    """

    archived: bool
    created_at: datetime.datetime
    deprecated: bool
    name: str
    updated_at: datetime.datetime
    versions: list[SchemaVersion]
    description: None | str | Unset = UNSET
    group: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        archived = self.archived

        created_at = self.created_at.isoformat()

        deprecated = self.deprecated

        name = self.name

        updated_at = self.updated_at.isoformat()

        versions = []
        for versions_item_data in self.versions:
            versions_item = versions_item_data.to_dict()
            versions.append(versions_item)

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "archived": archived,
                "created_at": created_at,
                "deprecated": deprecated,
                "name": name,
                "updated_at": updated_at,
                "versions": versions,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if group is not UNSET:
            field_dict["group"] = group

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.schema_version import SchemaVersion

        d = dict(src_dict)
        archived = d.pop("archived")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        deprecated = d.pop("deprecated")

        name = d.pop("name")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        versions = []
        _versions = d.pop("versions")
        for versions_item_data in _versions:
            versions_item = SchemaVersion.from_dict(versions_item_data)

            versions.append(versions_item)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))

        list_response_event_type_definition_data_item = cls(
            archived=archived,
            created_at=created_at,
            deprecated=deprecated,
            name=name,
            updated_at=updated_at,
            versions=versions,
            description=description,
            group=group,
        )

        list_response_event_type_definition_data_item.additional_properties = d
        return list_response_event_type_definition_data_item

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
