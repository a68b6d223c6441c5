from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PortalSettingsBody")


@_attrs_define
class PortalSettingsBody:
    """The account's portal settings: who may embed it, and how it looks.

    Attributes:
        allowed_origins (list[str] | Unset): Origins whose pages may show the portal in an `<iframe>` (its `frame-
            ancestors`), e.g.
            `https://app.example.com`; `https://*.example.com` allows subdomains. Empty: none may.
        logo_url (None | str | Unset): An http(s) image URL shown in the header.
        primary_color (None | str | Unset): `#rrggbb`, for the portal's buttons and links.
        product_name (None | str | Unset): Shown in the portal's header and title instead of "hookd".
    """

    allowed_origins: list[str] | Unset = UNSET
    logo_url: None | str | Unset = UNSET
    primary_color: None | str | Unset = UNSET
    product_name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        allowed_origins: list[str] | Unset = UNSET
        if not isinstance(self.allowed_origins, Unset):
            allowed_origins = self.allowed_origins

        logo_url: None | str | Unset
        if isinstance(self.logo_url, Unset):
            logo_url = UNSET
        else:
            logo_url = self.logo_url

        primary_color: None | str | Unset
        if isinstance(self.primary_color, Unset):
            primary_color = UNSET
        else:
            primary_color = self.primary_color

        product_name: None | str | Unset
        if isinstance(self.product_name, Unset):
            product_name = UNSET
        else:
            product_name = self.product_name

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if allowed_origins is not UNSET:
            field_dict["allowed_origins"] = allowed_origins
        if logo_url is not UNSET:
            field_dict["logo_url"] = logo_url
        if primary_color is not UNSET:
            field_dict["primary_color"] = primary_color
        if product_name is not UNSET:
            field_dict["product_name"] = product_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        allowed_origins = cast(list[str], d.pop("allowed_origins", UNSET))

        def _parse_logo_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        logo_url = _parse_logo_url(d.pop("logo_url", UNSET))

        def _parse_primary_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        primary_color = _parse_primary_color(d.pop("primary_color", UNSET))

        def _parse_product_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        product_name = _parse_product_name(d.pop("product_name", UNSET))

        portal_settings_body = cls(
            allowed_origins=allowed_origins,
            logo_url=logo_url,
            primary_color=primary_color,
            product_name=product_name,
        )

        return portal_settings_body
