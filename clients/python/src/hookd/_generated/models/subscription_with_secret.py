from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.format_ import Format
from ..models.health import Health
from ..models.ordering import Ordering
from ..models.subscription_status import SubscriptionStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_policy import BatchPolicy
    from ..models.subscription_filter_type_0 import SubscriptionFilterType0
    from ..models.subscription_headers import SubscriptionHeaders


T = TypeVar("T", bound="SubscriptionWithSecret")


@_attrs_define
class SubscriptionWithSecret:
    """The subscription's signing secret, returned when it is created or rotated.

    Attributes:
        app_id (str):
        created_at (datetime.datetime):
        event_types (list[str]): Event types delivered; empty means all.
        format_ (Format): How a subscription's callbacks are shaped and signed (SPEC §5).
        headers (SubscriptionHeaders): Extra headers sent with every callback: their names, each value masked as
            `••••••` (the values are
            sealed at rest; `GET …/secret` reads them). Sent back in a PATCH, `••••••` keeps a stored value.
        health (Health): How a subscription is doing: `disabled` and `locked` follow its status; an enabled one is
            `failing`
            while its latest attempt failed, else `healthy`.
        id (str):
        ordering (Ordering): `none`: callbacks go out in parallel, in any order. `fifo`: the next one is not sent until
            the one
            before it succeeded or went dead.
        retry (list[int] | str): A subscription's retry policy as the API writes it: a profile name, or the delays in
            seconds.
        status (SubscriptionStatus):
        updated_at (datetime.datetime):
        url (str): The target; a password in a queue URL shows as `****` (sealed at rest; `GET …/secret` reads it).
            Sent back unchanged in a PATCH, it keeps the stored URL.
        users (list[str]): Only events of these users; empty means all.
        secret (str): `whsec_…`; verify `webhook-signature` with it.
        batch (BatchPolicy | None | Unset):
        channel_id (None | str | Unset): Only events of this channel; null means all channels.
        description (None | str | Unset):
        failing_since (datetime.datetime | None | Unset): When the current run of failed attempts began; null when the
            latest attempt succeeded (or none was
            made).
        filter_ (None | SubscriptionFilterType0 | Unset): Only events whose payload matches this filter
            (docs/FILTERS.md); null: every payload.
        public_key (None | str | Unset): `whpk_…`: the ed25519 public key that verifies the `v1a` signatures, when the
            subscription signs so.
        rate_limit (int | None | Unset): Deliveries per second at most (GCRA, no bursts); null: unlimited.
        source (None | str | Unset): The vendor dialect config this subscription is (`cams`, `ess`, `live-snapshot`,
            `live-rtc:<id>`,
            `meeting:<id>`); null for subscriptions made through the native API.
        timeout_ms (int | None | Unset): The subscription's request timeout in ms; null: the server's (5 s for the
            `live` profile).
    """

    app_id: str
    created_at: datetime.datetime
    event_types: list[str]
    format_: Format
    headers: SubscriptionHeaders
    health: Health
    id: str
    ordering: Ordering
    retry: list[int] | str
    status: SubscriptionStatus
    updated_at: datetime.datetime
    url: str
    users: list[str]
    secret: str
    batch: BatchPolicy | None | Unset = UNSET
    channel_id: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    failing_since: datetime.datetime | None | Unset = UNSET
    filter_: None | SubscriptionFilterType0 | Unset = UNSET
    public_key: None | str | Unset = UNSET
    rate_limit: int | None | Unset = UNSET
    source: None | str | Unset = UNSET
    timeout_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_policy import BatchPolicy
        from ..models.subscription_filter_type_0 import SubscriptionFilterType0

        app_id = self.app_id

        created_at = self.created_at.isoformat()

        event_types = self.event_types

        format_ = self.format_.value

        headers = self.headers.to_dict()

        health = self.health.value

        id = self.id

        ordering = self.ordering.value

        retry: list[int] | str
        if isinstance(self.retry, list):
            retry = self.retry

        else:
            retry = self.retry

        status = self.status.value

        updated_at = self.updated_at.isoformat()

        url = self.url

        users = self.users

        secret = self.secret

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

        failing_since: None | str | Unset
        if isinstance(self.failing_since, Unset):
            failing_since = UNSET
        elif isinstance(self.failing_since, datetime.datetime):
            failing_since = self.failing_since.isoformat()
        else:
            failing_since = self.failing_since

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, SubscriptionFilterType0):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        public_key: None | str | Unset
        if isinstance(self.public_key, Unset):
            public_key = UNSET
        else:
            public_key = self.public_key

        rate_limit: int | None | Unset
        if isinstance(self.rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = self.rate_limit

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        timeout_ms: int | None | Unset
        if isinstance(self.timeout_ms, Unset):
            timeout_ms = UNSET
        else:
            timeout_ms = self.timeout_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "app_id": app_id,
                "created_at": created_at,
                "event_types": event_types,
                "format": format_,
                "headers": headers,
                "health": health,
                "id": id,
                "ordering": ordering,
                "retry": retry,
                "status": status,
                "updated_at": updated_at,
                "url": url,
                "users": users,
                "secret": secret,
            }
        )
        if batch is not UNSET:
            field_dict["batch"] = batch
        if channel_id is not UNSET:
            field_dict["channel_id"] = channel_id
        if description is not UNSET:
            field_dict["description"] = description
        if failing_since is not UNSET:
            field_dict["failing_since"] = failing_since
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if public_key is not UNSET:
            field_dict["public_key"] = public_key
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit
        if source is not UNSET:
            field_dict["source"] = source
        if timeout_ms is not UNSET:
            field_dict["timeout_ms"] = timeout_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.batch_policy import BatchPolicy
        from ..models.subscription_filter_type_0 import SubscriptionFilterType0
        from ..models.subscription_headers import SubscriptionHeaders

        d = dict(src_dict)
        app_id = d.pop("app_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        event_types = cast(list[str], d.pop("event_types"))

        format_ = Format(d.pop("format"))

        headers = SubscriptionHeaders.from_dict(d.pop("headers"))

        health = Health(d.pop("health"))

        id = d.pop("id")

        ordering = Ordering(d.pop("ordering"))

        def _parse_retry(data: object) -> list[int] | str:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_retry_policy_type_1 = cast(list[int], data)

                return componentsschemas_retry_policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | str, data)

        retry = _parse_retry(d.pop("retry"))

        status = SubscriptionStatus(d.pop("status"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        url = d.pop("url")

        users = cast(list[str], d.pop("users"))

        secret = d.pop("secret")

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

        def _parse_failing_since(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failing_since_type_0 = datetime.datetime.fromisoformat(data)

                return failing_since_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        failing_since = _parse_failing_since(d.pop("failing_since", UNSET))

        def _parse_filter_(data: object) -> None | SubscriptionFilterType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = SubscriptionFilterType0.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SubscriptionFilterType0 | Unset, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        def _parse_public_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        public_key = _parse_public_key(d.pop("public_key", UNSET))

        def _parse_rate_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_timeout_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout_ms = _parse_timeout_ms(d.pop("timeout_ms", UNSET))

        subscription_with_secret = cls(
            app_id=app_id,
            created_at=created_at,
            event_types=event_types,
            format_=format_,
            headers=headers,
            health=health,
            id=id,
            ordering=ordering,
            retry=retry,
            status=status,
            updated_at=updated_at,
            url=url,
            users=users,
            secret=secret,
            batch=batch,
            channel_id=channel_id,
            description=description,
            failing_since=failing_since,
            filter_=filter_,
            public_key=public_key,
            rate_limit=rate_limit,
            source=source,
            timeout_ms=timeout_ms,
        )

        subscription_with_secret.additional_properties = d
        return subscription_with_secret

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
