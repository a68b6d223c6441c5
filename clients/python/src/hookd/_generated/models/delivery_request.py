from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.header_entry import HeaderEntry


T = TypeVar("T", bound="DeliveryRequest")


@_attrs_define
class DeliveryRequest:
    """The request an attempt sends, as shown to people: every secret masked.

    Attributes:
        body (str): The body as text, at most 64 KiB.
        body_truncated (bool): The body was longer than 64 KiB and is cut.
        headers (list[HeaderEntry]): In the order sent: the format's headers, its signature headers, then the
            subscription's own.
            The subscription's own, signature headers and any header whose name suggests a secret (`auth`,
            `token`, `secret`, `key`, `signature`, `cookie`, `password`) show `••••••`.
        method (str): `POST`, or `PUBLISH` for a message-queue destination.
        url (str): The target, a password in it replaced by `****`.
    """

    body: str
    body_truncated: bool
    headers: list[HeaderEntry]
    method: str
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        body = self.body

        body_truncated = self.body_truncated

        headers = []
        for headers_item_data in self.headers:
            headers_item = headers_item_data.to_dict()
            headers.append(headers_item)

        method = self.method

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "body": body,
                "body_truncated": body_truncated,
                "headers": headers,
                "method": method,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.header_entry import HeaderEntry

        d = dict(src_dict)
        body = d.pop("body")

        body_truncated = d.pop("body_truncated")

        headers = []
        _headers = d.pop("headers")
        for headers_item_data in _headers:
            headers_item = HeaderEntry.from_dict(headers_item_data)

            headers.append(headers_item)

        method = d.pop("method")

        url = d.pop("url")

        delivery_request = cls(
            body=body,
            body_truncated=body_truncated,
            headers=headers,
            method=method,
            url=url,
        )

        delivery_request.additional_properties = d
        return delivery_request

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
