from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.subscription_secrets_headers import SubscriptionSecretsHeaders
    from ..models.subscription_secrets_vendor_secrets import (
        SubscriptionSecretsVendorSecrets,
    )


T = TypeVar("T", bound="SubscriptionSecrets")


@_attrs_define
class SubscriptionSecrets:
    """A subscription's secrets: the current signing secret, the vendor secrets a dialect stored, and the
    values that reads mask — the extra headers' values and the target with its password.

        Attributes:
            headers (SubscriptionSecretsHeaders): The extra headers with their values.
            secret (str): `whsec_…`, the current signing secret.
            url (str): The target as hookd connects to it, a queue URL's password included.
            vendor_secrets (SubscriptionSecretsVendorSecrets): Vendor secrets by their vendor names, e.g. `NotifyAuthKey`,
                `CallbackKey`, `CallbackToken`.
    """

    headers: SubscriptionSecretsHeaders
    secret: str
    url: str
    vendor_secrets: SubscriptionSecretsVendorSecrets
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        headers = self.headers.to_dict()

        secret = self.secret

        url = self.url

        vendor_secrets = self.vendor_secrets.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "headers": headers,
                "secret": secret,
                "url": url,
                "vendor_secrets": vendor_secrets,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.subscription_secrets_headers import SubscriptionSecretsHeaders
        from ..models.subscription_secrets_vendor_secrets import (
            SubscriptionSecretsVendorSecrets,
        )

        d = dict(src_dict)
        headers = SubscriptionSecretsHeaders.from_dict(d.pop("headers"))

        secret = d.pop("secret")

        url = d.pop("url")

        vendor_secrets = SubscriptionSecretsVendorSecrets.from_dict(
            d.pop("vendor_secrets")
        )

        subscription_secrets = cls(
            headers=headers,
            secret=secret,
            url=url,
            vendor_secrets=vendor_secrets,
        )

        subscription_secrets.additional_properties = d
        return subscription_secrets

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
