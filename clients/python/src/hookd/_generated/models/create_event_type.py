from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_event_type_schema_type_0 import CreateEventTypeSchemaType0


T = TypeVar("T", bound="CreateEventType")


@_attrs_define
class CreateEventType:
    """
    Attributes:
        name (str): The event type: 1–128 of `A-Z a-z 0-9 . _ : -`, e.g. `order.created`.
        deprecated (bool | Unset):
        description (None | str | Unset):
        examples (list[Any] | Unset): Example payloads (at most 10), each checked against `schema`.
        group (None | str | Unset): A group to show related types together: 1–64 of `A-Z a-z 0-9 . _ -`.
        schema (bool | CreateEventTypeSchemaType0 | None | Unset): A JSON Schema (draft 2020-12) of the payload: an
            object, or `true`/`false`; no remote `$ref`. On an update it is added as the next version (versions never
            change).
    """

    name: str
    deprecated: bool | Unset = UNSET
    description: None | str | Unset = UNSET
    examples: list[Any] | Unset = UNSET
    group: None | str | Unset = UNSET
    schema: bool | CreateEventTypeSchemaType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_event_type_schema_type_0 import CreateEventTypeSchemaType0

        name = self.name

        deprecated = self.deprecated

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        examples: list[Any] | Unset = UNSET
        if not isinstance(self.examples, Unset):
            examples = self.examples

        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        schema: bool | dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, CreateEventTypeSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if deprecated is not UNSET:
            field_dict["deprecated"] = deprecated
        if description is not UNSET:
            field_dict["description"] = description
        if examples is not UNSET:
            field_dict["examples"] = examples
        if group is not UNSET:
            field_dict["group"] = group
        if schema is not UNSET:
            field_dict["schema"] = schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.create_event_type_schema_type_0 import CreateEventTypeSchemaType0

        d = dict(src_dict)
        name = d.pop("name")

        deprecated = d.pop("deprecated", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        examples = cast(list[Any], d.pop("examples", UNSET))

        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))

        def _parse_schema(
            data: object,
        ) -> bool | CreateEventTypeSchemaType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = CreateEventTypeSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(bool | CreateEventTypeSchemaType0 | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        create_event_type = cls(
            name=name,
            deprecated=deprecated,
            description=description,
            examples=examples,
            group=group,
            schema=schema,
        )

        return create_event_type
