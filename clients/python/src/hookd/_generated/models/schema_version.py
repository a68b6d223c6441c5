from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.schema_version_schema_type_0 import SchemaVersionSchemaType0


T = TypeVar("T", bound="SchemaVersion")


@_attrs_define
class SchemaVersion:
    """One schema version of a type, as stored (a JSON list in the type's row).

    Attributes:
        created_at (datetime.datetime):
        examples (list[Any]): Example payloads: any JSON values the schema accepts.
        schema (bool | SchemaVersionSchemaType0): A JSON Schema (draft 2020-12) of the payload: an object, or
            `true`/`false`.
        version (int): 1, 2, …: a new schema is a new version, and a version never changes.
    """

    created_at: datetime.datetime
    examples: list[Any]
    schema: bool | SchemaVersionSchemaType0
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.schema_version_schema_type_0 import SchemaVersionSchemaType0

        created_at = self.created_at.isoformat()

        examples = self.examples

        schema: bool | dict[str, Any]
        if isinstance(self.schema, SchemaVersionSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "examples": examples,
                "schema": schema,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.schema_version_schema_type_0 import SchemaVersionSchemaType0

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        examples = cast(list[Any], d.pop("examples"))

        def _parse_schema(data: object) -> bool | SchemaVersionSchemaType0:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = SchemaVersionSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(bool | SchemaVersionSchemaType0, data)

        schema = _parse_schema(d.pop("schema"))

        version = d.pop("version")

        schema_version = cls(
            created_at=created_at,
            examples=examples,
            schema=schema,
            version=version,
        )

        schema_version.additional_properties = d
        return schema_version

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
