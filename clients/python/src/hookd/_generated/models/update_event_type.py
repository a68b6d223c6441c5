from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.update_event_type_schema_type_0 import UpdateEventTypeSchemaType0


T = TypeVar("T", bound="UpdateEventType")


@_attrs_define
class UpdateEventType:
    """
    Attributes:
        deprecated (bool | None | Unset):
        description (None | str | Unset): `null` clears it.
        examples (list[Any] | None | Unset): The examples of the new version (with `schema`), or of the newest one
            (without).
        group (None | str | Unset): `null` clears it.
        schema (bool | None | Unset | UpdateEventTypeSchemaType0): A JSON Schema (draft 2020-12) of the payload: an
            object, or `true`/`false`; no remote `$ref`. On an update it is added as the next version (versions never
            change).
    """

    deprecated: bool | None | Unset = UNSET
    description: None | str | Unset = UNSET
    examples: list[Any] | None | Unset = UNSET
    group: None | str | Unset = UNSET
    schema: bool | None | Unset | UpdateEventTypeSchemaType0 = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.update_event_type_schema_type_0 import UpdateEventTypeSchemaType0

        deprecated: bool | None | Unset
        if isinstance(self.deprecated, Unset):
            deprecated = UNSET
        else:
            deprecated = self.deprecated

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        examples: list[Any] | None | Unset
        if isinstance(self.examples, Unset):
            examples = UNSET
        elif isinstance(self.examples, list):
            examples = self.examples

        else:
            examples = self.examples

        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        schema: bool | dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, UpdateEventTypeSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update({})
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
        from ..models.update_event_type_schema_type_0 import UpdateEventTypeSchemaType0

        d = dict(src_dict)

        def _parse_deprecated(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        deprecated = _parse_deprecated(d.pop("deprecated", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_examples(data: object) -> list[Any] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                examples_type_0 = cast(list[Any], data)

                return examples_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Any] | None | Unset, data)

        examples = _parse_examples(d.pop("examples", UNSET))

        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))

        def _parse_schema(
            data: object,
        ) -> bool | None | Unset | UpdateEventTypeSchemaType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = UpdateEventTypeSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(bool | None | Unset | UpdateEventTypeSchemaType0, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        update_event_type = cls(
            deprecated=deprecated,
            description=description,
            examples=examples,
            group=group,
            schema=schema,
        )

        return update_event_type
