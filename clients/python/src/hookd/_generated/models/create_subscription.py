from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.format_ import Format
from ..models.ordering import Ordering
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_policy import BatchPolicy
    from ..models.create_subscription_filter_type_0 import CreateSubscriptionFilterType0
    from ..models.create_subscription_headers import CreateSubscriptionHeaders
    from ..models.create_subscription_vendor_secrets import (
        CreateSubscriptionVendorSecrets,
    )


T = TypeVar("T", bound="CreateSubscription")


@_attrs_define
class CreateSubscription:
    """
    Attributes:
        url (str): http(s) URL of the receiver; must resolve to a public address unless allowed by the operator.
        asymmetric_signing (bool | Unset): Also sign every callback with a fresh ed25519 key (`v1a,` entries in
            `webhook-signature`); the
            response's `public_key` verifies them. Default false.
        batch (BatchPolicy | None | Unset):
        channel_id (None | str | Unset): Only events of this channel.
        description (None | str | Unset):
        enabled (bool | None | Unset): Default true.
        event_types (list[str] | Unset): Event types to deliver; all when absent or empty.
        filter_ (CreateSubscriptionFilterType0 | None | Unset): Only events whose payload matches this filter
            (docs/FILTERS.md), e.g.
            `{"amount": {"$gte": 100}, "currency": {"$in": ["EUR", "USD"]}}`; default every payload.
        format_ (Format | None | Unset):
        headers (CreateSubscriptionHeaders | Unset): Extra headers sent with every callback.
        ordering (None | Ordering | Unset):
        rate_limit (int | None | Unset): Deliveries per second at most, 1 to 10 000, paced evenly (no bursts); default
            unlimited.
        retry (list[int] | None | str | Unset):
        secret (None | str | Unset): `whsec_…` signing secret; generated when absent.
        timeout_ms (int | None | Unset): Request timeout in ms, 100 to the server's `delivery.timeout_ms`; default the
            server's (5 s for `live`).
        users (list[str] | Unset): Only events of these users.
        vendor_secrets (CreateSubscriptionVendorSecrets | Unset): Secrets and settings of the vendor format
            (`CallbackKey`, `CallbackToken`, `NotifyReqAuth`,
            `NotifyAuthKey`, `subscriberId`, `subscriberKey`); see docs/FORMATS.md.
    """

    url: str
    asymmetric_signing: bool | Unset = UNSET
    batch: BatchPolicy | None | Unset = UNSET
    channel_id: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    event_types: list[str] | Unset = UNSET
    filter_: CreateSubscriptionFilterType0 | None | Unset = UNSET
    format_: Format | None | Unset = UNSET
    headers: CreateSubscriptionHeaders | Unset = UNSET
    ordering: None | Ordering | Unset = UNSET
    rate_limit: int | None | Unset = UNSET
    retry: list[int] | None | str | Unset = UNSET
    secret: None | str | Unset = UNSET
    timeout_ms: int | None | Unset = UNSET
    users: list[str] | Unset = UNSET
    vendor_secrets: CreateSubscriptionVendorSecrets | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_policy import BatchPolicy
        from ..models.create_subscription_filter_type_0 import (
            CreateSubscriptionFilterType0,
        )

        url = self.url

        asymmetric_signing = self.asymmetric_signing

        batch: dict[str, Any] | None | Unset
        if isinstance(self.batch, Unset):
            batch = UNSET
        elif isinstance(self.batch, BatchPolicy):
            batch = self.batch.to_dict()
        else:
            batch = self.batch

        channel_id: None | str | Unset
        if isinstance(self.channel_id, Unset):
            channel_id = UNSET
        else:
            channel_id = self.channel_id

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        event_types: list[str] | Unset = UNSET
        if not isinstance(self.event_types, Unset):
            event_types = self.event_types

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, CreateSubscriptionFilterType0):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        format_: None | str | Unset
        if isinstance(self.format_, Unset):
            format_ = UNSET
        elif isinstance(self.format_, Format):
            format_ = self.format_.value
        else:
            format_ = self.format_

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        ordering: None | str | Unset
        if isinstance(self.ordering, Unset):
            ordering = UNSET
        elif isinstance(self.ordering, Ordering):
            ordering = self.ordering.value
        else:
            ordering = self.ordering

        rate_limit: int | None | Unset
        if isinstance(self.rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = self.rate_limit

        retry: list[int] | None | str | Unset
        if isinstance(self.retry, Unset):
            retry = UNSET
        elif isinstance(self.retry, list):
            retry = self.retry

        else:
            retry = self.retry

        secret: None | str | Unset
        if isinstance(self.secret, Unset):
            secret = UNSET
        else:
            secret = self.secret

        timeout_ms: int | None | Unset
        if isinstance(self.timeout_ms, Unset):
            timeout_ms = UNSET
        else:
            timeout_ms = self.timeout_ms

        users: list[str] | Unset = UNSET
        if not isinstance(self.users, Unset):
            users = self.users

        vendor_secrets: dict[str, Any] | Unset = UNSET
        if not isinstance(self.vendor_secrets, Unset):
            vendor_secrets = self.vendor_secrets.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )
        if asymmetric_signing is not UNSET:
            field_dict["asymmetric_signing"] = asymmetric_signing
        if batch is not UNSET:
            field_dict["batch"] = batch
        if channel_id is not UNSET:
            field_dict["channel_id"] = channel_id
        if description is not UNSET:
            field_dict["description"] = description
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if event_types is not UNSET:
            field_dict["event_types"] = event_types
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if format_ is not UNSET:
            field_dict["format"] = format_
        if headers is not UNSET:
            field_dict["headers"] = headers
        if ordering is not UNSET:
            field_dict["ordering"] = ordering
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit
        if retry is not UNSET:
            field_dict["retry"] = retry
        if secret is not UNSET:
            field_dict["secret"] = secret
        if timeout_ms is not UNSET:
            field_dict["timeout_ms"] = timeout_ms
        if users is not UNSET:
            field_dict["users"] = users
        if vendor_secrets is not UNSET:
            field_dict["vendor_secrets"] = vendor_secrets

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_policy import BatchPolicy
        from ..models.create_subscription_filter_type_0 import (
            CreateSubscriptionFilterType0,
        )
        from ..models.create_subscription_headers import CreateSubscriptionHeaders
        from ..models.create_subscription_vendor_secrets import (
            CreateSubscriptionVendorSecrets,
        )

        d = dict(src_dict)
        url = d.pop("url")

        asymmetric_signing = d.pop("asymmetric_signing", UNSET)

        def _parse_batch(data: object) -> BatchPolicy | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                batch_type_1 = BatchPolicy.from_dict(data)

                return batch_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BatchPolicy | None | Unset, data)

        batch = _parse_batch(d.pop("batch", UNSET))

        def _parse_channel_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel_id = _parse_channel_id(d.pop("channel_id", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        event_types = cast(list[str], d.pop("event_types", UNSET))

        def _parse_filter_(
            data: object,
        ) -> CreateSubscriptionFilterType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = CreateSubscriptionFilterType0.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateSubscriptionFilterType0 | None | Unset, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        def _parse_format_(data: object) -> Format | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                format_type_1 = Format(data)

                return format_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Format | None | Unset, data)

        format_ = _parse_format_(d.pop("format", UNSET))

        _headers = d.pop("headers", UNSET)
        headers: CreateSubscriptionHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = CreateSubscriptionHeaders.from_dict(_headers)

        def _parse_ordering(data: object) -> None | Ordering | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ordering_type_1 = Ordering(data)

                return ordering_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Ordering | Unset, data)

        ordering = _parse_ordering(d.pop("ordering", UNSET))

        def _parse_rate_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit", UNSET))

        def _parse_retry(data: object) -> list[int] | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_retry_policy_type_1 = cast(list[int], data)

                return componentsschemas_retry_policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | str | Unset, data)

        retry = _parse_retry(d.pop("retry", UNSET))

        def _parse_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret = _parse_secret(d.pop("secret", UNSET))

        def _parse_timeout_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout_ms = _parse_timeout_ms(d.pop("timeout_ms", UNSET))

        users = cast(list[str], d.pop("users", UNSET))

        _vendor_secrets = d.pop("vendor_secrets", UNSET)
        vendor_secrets: CreateSubscriptionVendorSecrets | Unset
        if isinstance(_vendor_secrets, Unset):
            vendor_secrets = UNSET
        else:
            vendor_secrets = CreateSubscriptionVendorSecrets.from_dict(_vendor_secrets)

        create_subscription = cls(
            url=url,
            asymmetric_signing=asymmetric_signing,
            batch=batch,
            channel_id=channel_id,
            description=description,
            enabled=enabled,
            event_types=event_types,
            filter_=filter_,
            format_=format_,
            headers=headers,
            ordering=ordering,
            rate_limit=rate_limit,
            retry=retry,
            secret=secret,
            timeout_ms=timeout_ms,
            users=users,
            vendor_secrets=vendor_secrets,
        )

        return create_subscription
