from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.format_ import Format
from ..models.ordering import Ordering
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_policy import BatchPolicy
    from ..models.update_subscription_filter_type_0 import UpdateSubscriptionFilterType0
    from ..models.update_subscription_headers_type_0 import (
        UpdateSubscriptionHeadersType0,
    )
    from ..models.update_subscription_vendor_secrets_type_0 import (
        UpdateSubscriptionVendorSecretsType0,
    )


T = TypeVar("T", bound="UpdateSubscription")


@_attrs_define
class UpdateSubscription:
    """
    Attributes:
        asymmetric_signing (bool | None | Unset): true adds an ed25519 signing key (an existing one is kept), false
            removes it.
        batch (BatchPolicy | None | Unset):
        channel_id (None | str | Unset): `null` delivers every channel again.
        description (None | str | Unset):
        event_types (list[str] | None | Unset):
        filter_ (None | Unset | UpdateSubscriptionFilterType0): The payload filter (docs/FILTERS.md); `null` removes it.
        format_ (Format | None | Unset):
        headers (None | Unset | UpdateSubscriptionHeadersType0):
        ordering (None | Ordering | Unset):
        rate_limit (int | None | Unset): `null` removes the limit.
        retry (list[int] | None | str | Unset):
        timeout_ms (int | None | Unset): `null` returns to the server's timeout.
        url (None | str | Unset):
        users (list[str] | None | Unset):
        vendor_secrets (None | Unset | UpdateSubscriptionVendorSecretsType0): Replaces the vendor secrets and settings.
    """

    asymmetric_signing: bool | None | Unset = UNSET
    batch: BatchPolicy | None | Unset = UNSET
    channel_id: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    event_types: list[str] | None | Unset = UNSET
    filter_: None | Unset | UpdateSubscriptionFilterType0 = UNSET
    format_: Format | None | Unset = UNSET
    headers: None | Unset | UpdateSubscriptionHeadersType0 = UNSET
    ordering: None | Ordering | Unset = UNSET
    rate_limit: int | None | Unset = UNSET
    retry: list[int] | None | str | Unset = UNSET
    timeout_ms: int | None | Unset = UNSET
    url: None | str | Unset = UNSET
    users: list[str] | None | Unset = UNSET
    vendor_secrets: None | Unset | UpdateSubscriptionVendorSecretsType0 = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_policy import BatchPolicy
        from ..models.update_subscription_filter_type_0 import (
            UpdateSubscriptionFilterType0,
        )
        from ..models.update_subscription_headers_type_0 import (
            UpdateSubscriptionHeadersType0,
        )
        from ..models.update_subscription_vendor_secrets_type_0 import (
            UpdateSubscriptionVendorSecretsType0,
        )

        asymmetric_signing: bool | None | Unset
        if isinstance(self.asymmetric_signing, Unset):
            asymmetric_signing = UNSET
        else:
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

        event_types: list[str] | None | Unset
        if isinstance(self.event_types, Unset):
            event_types = UNSET
        elif isinstance(self.event_types, list):
            event_types = self.event_types

        else:
            event_types = self.event_types

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, UpdateSubscriptionFilterType0):
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

        headers: dict[str, Any] | None | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        elif isinstance(self.headers, UpdateSubscriptionHeadersType0):
            headers = self.headers.to_dict()
        else:
            headers = self.headers

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

        timeout_ms: int | None | Unset
        if isinstance(self.timeout_ms, Unset):
            timeout_ms = UNSET
        else:
            timeout_ms = self.timeout_ms

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        users: list[str] | None | Unset
        if isinstance(self.users, Unset):
            users = UNSET
        elif isinstance(self.users, list):
            users = self.users

        else:
            users = self.users

        vendor_secrets: dict[str, Any] | None | Unset
        if isinstance(self.vendor_secrets, Unset):
            vendor_secrets = UNSET
        elif isinstance(self.vendor_secrets, UpdateSubscriptionVendorSecretsType0):
            vendor_secrets = self.vendor_secrets.to_dict()
        else:
            vendor_secrets = self.vendor_secrets

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if asymmetric_signing is not UNSET:
            field_dict["asymmetric_signing"] = asymmetric_signing
        if batch is not UNSET:
            field_dict["batch"] = batch
        if channel_id is not UNSET:
            field_dict["channel_id"] = channel_id
        if description is not UNSET:
            field_dict["description"] = description
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
        if timeout_ms is not UNSET:
            field_dict["timeout_ms"] = timeout_ms
        if url is not UNSET:
            field_dict["url"] = url
        if users is not UNSET:
            field_dict["users"] = users
        if vendor_secrets is not UNSET:
            field_dict["vendor_secrets"] = vendor_secrets

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_policy import BatchPolicy
        from ..models.update_subscription_filter_type_0 import (
            UpdateSubscriptionFilterType0,
        )
        from ..models.update_subscription_headers_type_0 import (
            UpdateSubscriptionHeadersType0,
        )
        from ..models.update_subscription_vendor_secrets_type_0 import (
            UpdateSubscriptionVendorSecretsType0,
        )

        d = dict(src_dict)

        def _parse_asymmetric_signing(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        asymmetric_signing = _parse_asymmetric_signing(
            d.pop("asymmetric_signing", UNSET)
        )

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

        def _parse_filter_(
            data: object,
        ) -> None | Unset | UpdateSubscriptionFilterType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = UpdateSubscriptionFilterType0.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateSubscriptionFilterType0, data)

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

        def _parse_headers(
            data: object,
        ) -> None | Unset | UpdateSubscriptionHeadersType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                headers_type_0 = UpdateSubscriptionHeadersType0.from_dict(data)

                return headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateSubscriptionHeadersType0, data)

        headers = _parse_headers(d.pop("headers", UNSET))

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

        def _parse_timeout_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout_ms = _parse_timeout_ms(d.pop("timeout_ms", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_users(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                users_type_0 = cast(list[str], data)

                return users_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        users = _parse_users(d.pop("users", UNSET))

        def _parse_vendor_secrets(
            data: object,
        ) -> None | Unset | UpdateSubscriptionVendorSecretsType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                vendor_secrets_type_0 = UpdateSubscriptionVendorSecretsType0.from_dict(
                    data
                )

                return vendor_secrets_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateSubscriptionVendorSecretsType0, data)

        vendor_secrets = _parse_vendor_secrets(d.pop("vendor_secrets", UNSET))

        update_subscription = cls(
            asymmetric_signing=asymmetric_signing,
            batch=batch,
            channel_id=channel_id,
            description=description,
            event_types=event_types,
            filter_=filter_,
            format_=format_,
            headers=headers,
            ordering=ordering,
            rate_limit=rate_limit,
            retry=retry,
            timeout_ms=timeout_ms,
            url=url,
            users=users,
            vendor_secrets=vendor_secrets,
        )

        return update_subscription
