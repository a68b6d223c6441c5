from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.me_type_2_kind import MeType2Kind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.theme import Theme


T = TypeVar("T", bound="MeType2")


@_attrs_define
class MeType2:
    """A customer-portal session: one app of one account, until `expires_at`.

    Attributes:
        account_id (str):
        account_name (str):
        app_id (str):
        capability (str): `manage` or `read-only`.
        expires_at (datetime.datetime):
        kind (MeType2Kind):
        policy (list[str]): The actions the session may take (within its app).
        session_id (str):
        theme (Theme): The portal's look, from the account's portal settings.
        app_name (None | str | Unset): The app's name, if it has one.
        event_types (list[str] | None | Unset): The event types the session is limited to; null for every type.
    """

    account_id: str
    account_name: str
    app_id: str
    capability: str
    expires_at: datetime.datetime
    kind: MeType2Kind
    policy: list[str]
    session_id: str
    theme: Theme
    app_name: None | str | Unset = UNSET
    event_types: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = self.account_id

        account_name = self.account_name

        app_id = self.app_id

        capability = self.capability

        expires_at = self.expires_at.isoformat()

        kind = self.kind.value

        policy = self.policy

        session_id = self.session_id

        theme = self.theme.to_dict()

        app_name: None | str | Unset
        if isinstance(self.app_name, Unset):
            app_name = UNSET
        else:
            app_name = self.app_name

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
                "account_name": account_name,
                "app_id": app_id,
                "capability": capability,
                "expires_at": expires_at,
                "kind": kind,
                "policy": policy,
                "session_id": session_id,
                "theme": theme,
            }
        )
        if app_name is not UNSET:
            field_dict["app_name"] = app_name
        if event_types is not UNSET:
            field_dict["event_types"] = event_types

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.theme import Theme

        d = dict(src_dict)
        account_id = d.pop("account_id")

        account_name = d.pop("account_name")

        app_id = d.pop("app_id")

        capability = d.pop("capability")

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        kind = MeType2Kind(d.pop("kind"))

        policy = cast(list[str], d.pop("policy"))

        session_id = d.pop("session_id")

        theme = Theme.from_dict(d.pop("theme"))

        def _parse_app_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        app_name = _parse_app_name(d.pop("app_name", UNSET))

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

        me_type_2 = cls(
            account_id=account_id,
            account_name=account_name,
            app_id=app_id,
            capability=capability,
            expires_at=expires_at,
            kind=kind,
            policy=policy,
            session_id=session_id,
            theme=theme,
            app_name=app_name,
            event_types=event_types,
        )

        me_type_2.additional_properties = d
        return me_type_2

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
