from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatedPortalSession")


@_attrs_define
class CreatedPortalSession:
    """A new session: its token (shown only now) and the link that opens the portal with it.

    Attributes:
        account_id (str):
        app_id (str):
        capability (str): `manage` or `read-only`.
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        id (str):
        token (str): The bearer token the portal page uses. Shown once; only a hash is stored.
        url (str): `<server>/portal/<id>/#token=<token>`: open it, or use it as an `<iframe>`'s `src`.
        description (None | str | Unset):
        event_types (list[str] | None | Unset): The event types the session is limited to; null for every type.
    """

    account_id: str
    app_id: str
    capability: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    id: str
    token: str
    url: str
    description: None | str | Unset = UNSET
    event_types: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        app_id = self.app_id

        capability = self.capability

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        id = self.id

        token = self.token

        url = self.url

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        event_types: list[str] | None | Unset
        if isinstance(self.event_types, Unset):
            event_types = UNSET
        elif isinstance(self.event_types, list):
            event_types = self.event_types

        else:
            event_types = self.event_types

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "app_id": app_id,
                "capability": capability,
                "created_at": created_at,
                "expires_at": expires_at,
                "id": id,
                "token": token,
                "url": url,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if event_types is not UNSET:
            field_dict["event_types"] = event_types

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        account_id = d.pop("account_id")

        app_id = d.pop("app_id")

        capability = d.pop("capability")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        id = d.pop("id")

        token = d.pop("token")

        url = d.pop("url")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_event_types(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                event_types_type_0 = cast(list[str], data)

                return event_types_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        event_types = _parse_event_types(d.pop("event_types", UNSET))

        created_portal_session = cls(
            account_id=account_id,
            app_id=app_id,
            capability=capability,
            created_at=created_at,
            expires_at=expires_at,
            id=id,
            token=token,
            url=url,
            description=description,
            event_types=event_types,
        )

        created_portal_session.additional_properties = d
        return created_portal_session

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
