from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.listed_event_deliveries_type_0 import ListedEventDeliveriesType0
    from ..models.violation import Violation


T = TypeVar("T", bound="ListedEvent")


@_attrs_define
class ListedEvent:
    """An event as lists show it: with how its deliveries are doing.

    Attributes:
        app_id (str):
        created_at (datetime.datetime):
        id (str):
        payload (Any): The payload as published: any JSON.
        schema_violations (list[Violation]): How the payload fails that schema, when the app's `schema_validation` is
            `warn` (at most 20).
        type_ (str):
        channel_id (None | str | Unset):
        erased_at (datetime.datetime | None | Unset): When the payload was erased on request (it is then `null`); null
            if it was not.
        idempotency_key (None | str | Unset):
        schema_version (int | None | Unset): The schema version of the event's type the payload was checked against;
            null when not checked.
        user_id (None | str | Unset):
        deliveries (ListedEventDeliveriesType0 | None | Unset): How many of its deliveries are in each status (every
            status, zeros included); null for a key
            without `hookd:deliveries.read`.
    """

    app_id: str
    created_at: datetime.datetime
    id: str
    payload: Any
    schema_violations: list[Violation]
    type_: str
    channel_id: None | str | Unset = UNSET
    erased_at: datetime.datetime | None | Unset = UNSET
    idempotency_key: None | str | Unset = UNSET
    schema_version: int | None | Unset = UNSET
    user_id: None | str | Unset = UNSET
    deliveries: ListedEventDeliveriesType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.listed_event_deliveries_type_0 import ListedEventDeliveriesType0

        app_id = self.app_id

        created_at = self.created_at.isoformat()

        id = self.id

        payload = self.payload

        schema_violations = []
        for schema_violations_item_data in self.schema_violations:
            schema_violations_item = schema_violations_item_data.to_dict()
            schema_violations.append(schema_violations_item)

        type_ = self.type_

        channel_id: None | str | Unset
        if isinstance(self.channel_id, Unset):
            channel_id = UNSET
        else:
            channel_id = self.channel_id

        erased_at: None | str | Unset
        if isinstance(self.erased_at, Unset):
            erased_at = UNSET
        elif isinstance(self.erased_at, datetime.datetime):
            erased_at = self.erased_at.isoformat()
        else:
            erased_at = self.erased_at

        idempotency_key: None | str | Unset
        if isinstance(self.idempotency_key, Unset):
            idempotency_key = UNSET
        else:
            idempotency_key = self.idempotency_key

        schema_version: int | None | Unset
        if isinstance(self.schema_version, Unset):
            schema_version = UNSET
        else:
            schema_version = self.schema_version

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        deliveries: dict[str, Any] | None | Unset
        if isinstance(self.deliveries, Unset):
            deliveries = UNSET
        elif isinstance(self.deliveries, ListedEventDeliveriesType0):
            deliveries = self.deliveries.to_dict()
        else:
            deliveries = self.deliveries

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "app_id": app_id,
                "created_at": created_at,
                "id": id,
                "payload": payload,
                "schema_violations": schema_violations,
                "type": type_,
            }
        )
        if channel_id is not UNSET:
            field_dict["channel_id"] = channel_id
        if erased_at is not UNSET:
            field_dict["erased_at"] = erased_at
        if idempotency_key is not UNSET:
            field_dict["idempotency_key"] = idempotency_key
        if schema_version is not UNSET:
            field_dict["schema_version"] = schema_version
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if deliveries is not UNSET:
            field_dict["deliveries"] = deliveries

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.listed_event_deliveries_type_0 import ListedEventDeliveriesType0
        from ..models.violation import Violation

        d = dict(src_dict)
        app_id = d.pop("app_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        payload = d.pop("payload")

        schema_violations = []
        _schema_violations = d.pop("schema_violations")
        for schema_violations_item_data in _schema_violations:
            schema_violations_item = Violation.from_dict(schema_violations_item_data)

            schema_violations.append(schema_violations_item)

        type_ = d.pop("type")

        def _parse_channel_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel_id = _parse_channel_id(d.pop("channel_id", UNSET))

        def _parse_erased_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                erased_at_type_0 = datetime.datetime.fromisoformat(data)

                return erased_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        erased_at = _parse_erased_at(d.pop("erased_at", UNSET))

        def _parse_idempotency_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        idempotency_key = _parse_idempotency_key(d.pop("idempotency_key", UNSET))

        def _parse_schema_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        schema_version = _parse_schema_version(d.pop("schema_version", UNSET))

        def _parse_user_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_id = _parse_user_id(d.pop("user_id", UNSET))

        def _parse_deliveries(
            data: object,
        ) -> ListedEventDeliveriesType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                deliveries_type_0 = ListedEventDeliveriesType0.from_dict(data)

                return deliveries_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ListedEventDeliveriesType0 | None | Unset, data)

        deliveries = _parse_deliveries(d.pop("deliveries", UNSET))

        listed_event = cls(
            app_id=app_id,
            created_at=created_at,
            id=id,
            payload=payload,
            schema_violations=schema_violations,
            type_=type_,
            channel_id=channel_id,
            erased_at=erased_at,
            idempotency_key=idempotency_key,
            schema_version=schema_version,
            user_id=user_id,
            deliveries=deliveries,
        )

        listed_event.additional_properties = d
        return listed_event

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
