"""The hand-written client over the generated code: one `Hookd` object holding the base URL, token and
account, with typed method groups; every call goes through the generated functions (`_generated.api`) and
returns the generated models. Errors become `errors.ApiError` subclasses and `errors.NetworkError`; 429 and
503 are retried (`_retry.RetryTransport`)."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, Self, TypeVar

import attrs
import httpx

from . import errors
from ._generated.api.accounts import (
    create_account,
    create_key,
    delete_key,
    get_account,
    get_me,
    list_accounts,
    list_keys,
)
from ._generated.api.apps import create_app, delete_app, get_app, list_apps, update_app
from ._generated.api.deliveries import (
    get_delivery,
    get_subscription_stats,
    list_attempts,
    list_event_deliveries,
    list_subscription_deliveries,
    retry_delivery,
)
from ._generated.api.event_types import create_event_type, get_event_type, list_event_types, update_event_type
from ._generated.api.events import get_event, list_events, publish_event
from ._generated.api.subscriptions import (
    create_subscription,
    delete_subscription,
    disable_subscription,
    enable_subscription,
    get_subscription,
    get_subscription_secret,
    list_subscriptions,
    replay_subscription,
    rotate_subscription_secret,
    send_test_event,
    update_subscription,
)
from ._generated.client import AuthenticatedClient
from ._generated.models import (
    AccessKey,
    Account,
    App,
    AttemptEntry,
    CreateAccount,
    CreateApp,
    CreatedKey,
    CreateEventType,
    CreateKey,
    CreateSubscription,
    Delivery,
    DeliveryDetail,
    DeliveryStatus,
    Event,
    EventTypeDefinition,
    ListedEvent,
    MeType0,
    MeType1,
    MeType2,
    PublishedEvent,
    PublishEvent,
    Replay,
    Replayed,
    RotateSecret,
    Subscription,
    SubscriptionSecrets,
    SubscriptionStats,
    SubscriptionWithSecret,
    UpdateApp,
    UpdateEventType,
    UpdateSubscription,
)
from ._generated.types import UNSET, Response
from ._retry import RetryTransport

__all__ = ["Hookd", "Page", "Published"]

T = TypeVar("T")
M = TypeVar("M")


@attrs.frozen
class Page(Generic[T]):
    """One page of a list: `data`, and `next_cursor` to pass as `cursor` for the next (None on the last)."""

    data: list[T]
    next_cursor: str | None


@attrs.frozen
class Published:
    """The answer to a publish: the event, the `Idempotency-Key` it was sent with (generated when the caller
    gave none; publish again with it to be sure an event exists exactly once), and whether hookd answered
    with the first result of an earlier request with that key (`Idempotent-Replayed: true`)."""

    event: PublishedEvent
    idempotency_key: str
    replayed: bool


def _arg(value: Any) -> Any:
    """None as "not given" for the generated functions' optional parameters."""
    return UNSET if value is None else value


def _body(model: type[M], body: M | None, fields: Mapping[str, Any]) -> M:
    """A request body: the generated model the caller built, or one made from keyword fields (JSON names)."""
    if body is not None:
        if fields:
            raise TypeError("pass either a body model or keyword fields, not both")
        return body
    return model.from_dict(dict(fields))  # type: ignore[attr-defined]


def _page(response: Response[Any], item: Callable[[Mapping[str, Any]], T]) -> Page[T]:
    raw = json.loads(response.content)
    return Page(data=[item(x) for x in raw["data"]], next_cursor=raw.get("next_cursor"))


def _follow(fetch: Callable[[str | None], Page[T]], cursor: str | None = None) -> Iterator[T]:
    """Every item of every page, following `next_cursor` until it is null."""
    while True:
        page = fetch(cursor)
        yield from page.data
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _raise_for_error(response: httpx.Response) -> None:
    """httpx response hook: an error status becomes its typed error before generated code parses it."""
    if response.status_code >= 400:
        response.read()
        raise errors.from_response(response.status_code, response.headers, response.content)


class _Group:
    def __init__(self, hookd: Hookd) -> None:
        self._c = hookd.generated


class Accounts(_Group):
    """`/api/v1/accounts` (admin token only)."""

    def create(self, name: str, parent_id: str | None = None, products: list[str] | None = None) -> Account:
        fields: dict[str, Any] = {"name": name}
        if parent_id is not None:
            fields["parent_id"] = parent_id
        if products is not None:
            fields["products"] = products
        return create_account.sync_detailed(client=self._c, body=CreateAccount.from_dict(fields)).parsed

    def list(self, limit: int | None = None, cursor: str | None = None) -> Page[Account]:
        response = list_accounts.sync_detailed(client=self._c, limit=_arg(limit), cursor=_arg(cursor))
        return _page(response, Account.from_dict)

    def iter(self, limit: int | None = None) -> Iterator[Account]:
        return _follow(lambda cursor: self.list(limit, cursor))

    def get(self, account: str) -> Account:
        return get_account.sync_detailed(account, client=self._c).parsed


class Keys(_Group):
    """`/api/v1/accounts/{account}/keys` (admin token only)."""

    def create(self, account: str, policy: list[str], user_id: str | None = None) -> CreatedKey:
        fields: dict[str, Any] = {"policy": policy}
        if user_id is not None:
            fields["user_id"] = user_id
        return create_key.sync_detailed(account, client=self._c, body=CreateKey.from_dict(fields)).parsed

    def list(self, account: str, limit: int | None = None, cursor: str | None = None) -> Page[AccessKey]:
        response = list_keys.sync_detailed(account, client=self._c, limit=_arg(limit), cursor=_arg(cursor))
        return _page(response, AccessKey.from_dict)

    def iter(self, account: str, limit: int | None = None) -> Iterator[AccessKey]:
        return _follow(lambda cursor: self.list(account, limit, cursor))

    def delete(self, account: str, key_id: str) -> None:
        delete_key.sync_detailed(account, key_id, client=self._c)


class Apps(_Group):
    """`/api/v1/apps`. Keyword fields are the JSON fields of `CreateApp` / `UpdateApp` (or pass `body=`)."""

    def create(self, id: str | None = None, *, body: CreateApp | None = None, **fields: Any) -> App:
        if id is not None:
            fields["id"] = id
        return create_app.sync_detailed(client=self._c, body=_body(CreateApp, body, fields)).parsed

    def list(self, limit: int | None = None, cursor: str | None = None) -> Page[App]:
        return _page(list_apps.sync_detailed(client=self._c, limit=_arg(limit), cursor=_arg(cursor)), App.from_dict)

    def iter(self, limit: int | None = None) -> Iterator[App]:
        return _follow(lambda cursor: self.list(limit, cursor))

    def get(self, app: str) -> App:
        return get_app.sync_detailed(app, client=self._c).parsed

    def update(self, app: str, *, body: UpdateApp | None = None, **fields: Any) -> App:
        """Changes only the fields given; a field given as None is cleared (`null`)."""
        return update_app.sync_detailed(app, client=self._c, body=_body(UpdateApp, body, fields)).parsed

    def delete(self, app: str) -> None:
        delete_app.sync_detailed(app, client=self._c)


class EventTypes(_Group):
    """`/api/v1/apps/{app}/event-types`, the app's event-type catalog."""

    def create(
        self, app: str, name: str | None = None, *, body: CreateEventType | None = None, **fields: Any
    ) -> EventTypeDefinition:
        if name is not None:
            fields["name"] = name
        return create_event_type.sync_detailed(app, client=self._c, body=_body(CreateEventType, body, fields)).parsed

    def list(
        self, app: str, limit: int | None = None, cursor: str | None = None, archived: bool | None = None
    ) -> Page[EventTypeDefinition]:
        response = list_event_types.sync_detailed(
            app, client=self._c, limit=_arg(limit), cursor=_arg(cursor), archived=_arg(archived)
        )
        return _page(response, EventTypeDefinition.from_dict)

    def iter(self, app: str, limit: int | None = None, archived: bool | None = None) -> Iterator[EventTypeDefinition]:
        return _follow(lambda cursor: self.list(app, limit, cursor, archived))

    def get(self, app: str, name: str) -> EventTypeDefinition:
        return get_event_type.sync_detailed(app, name, client=self._c).parsed

    def update(self, app: str, name: str, *, body: UpdateEventType | None = None, **fields: Any) -> EventTypeDefinition:
        return update_event_type.sync_detailed(
            app, name, client=self._c, body=_body(UpdateEventType, body, fields)
        ).parsed


class Subscriptions(_Group):
    """`/api/v1/apps/{app}/subscriptions`. Keyword fields are the JSON fields of `CreateSubscription` /
    `UpdateSubscription` (`format`, `vendor_secrets`, `retry`, `batch` …), or pass `body=`."""

    def create(
        self, app: str, url: str | None = None, *, body: CreateSubscription | None = None, **fields: Any
    ) -> SubscriptionWithSecret:
        """Creates a subscription; the answer is the only one (with `rotate_secret`) carrying its secret."""
        if url is not None:
            fields["url"] = url
        return create_subscription.sync_detailed(
            app, client=self._c, body=_body(CreateSubscription, body, fields)
        ).parsed

    def list(self, app: str, limit: int | None = None, cursor: str | None = None) -> Page[Subscription]:
        response = list_subscriptions.sync_detailed(app, client=self._c, limit=_arg(limit), cursor=_arg(cursor))
        return _page(response, Subscription.from_dict)

    def iter(self, app: str, limit: int | None = None) -> Iterator[Subscription]:
        return _follow(lambda cursor: self.list(app, limit, cursor))

    def get(self, app: str, sub: str) -> Subscription:
        return get_subscription.sync_detailed(app, sub, client=self._c).parsed

    def update(self, app: str, sub: str, *, body: UpdateSubscription | None = None, **fields: Any) -> Subscription:
        """Changes only the fields given; a field given as None is cleared (`null`)."""
        return update_subscription.sync_detailed(
            app, sub, client=self._c, body=_body(UpdateSubscription, body, fields)
        ).parsed

    def delete(self, app: str, sub: str) -> None:
        delete_subscription.sync_detailed(app, sub, client=self._c)

    def enable(self, app: str, sub: str) -> Subscription:
        return enable_subscription.sync_detailed(app, sub, client=self._c).parsed

    def disable(self, app: str, sub: str) -> Subscription:
        return disable_subscription.sync_detailed(app, sub, client=self._c).parsed

    def rotate_secret(self, app: str, sub: str, secret: str | None = None) -> SubscriptionWithSecret:
        """Makes a new secret current (generated unless given); the old one keeps signing for the grace time."""
        body = RotateSecret.from_dict({} if secret is None else {"secret": secret})
        return rotate_subscription_secret.sync_detailed(app, sub, client=self._c, body=body).parsed

    def secret(self, app: str, sub: str) -> SubscriptionSecrets:
        """The signing secret, vendor secrets, header values and queue URL, unmasked."""
        return get_subscription_secret.sync_detailed(app, sub, client=self._c).parsed

    def test(self, app: str, sub: str) -> PublishedEvent:
        """Sends a synthetic `hookd.test` event to this subscription."""
        return send_test_event.sync_detailed(app, sub, client=self._c).parsed

    def replay(self, app: str, sub: str, since: str | None = None, dry_run: bool = False) -> Replayed:
        """Queues again every dead or retrying delivery created since `since` (RFC 3339; all without it)."""
        fields: dict[str, Any] = {"dry_run": dry_run}
        if since is not None:
            fields["since"] = since
        return replay_subscription.sync_detailed(app, sub, client=self._c, body=Replay.from_dict(fields)).parsed

    def stats(self, app: str, sub: str, hours: int | None = None) -> SubscriptionStats:
        return get_subscription_stats.sync_detailed(app, sub, client=self._c, hours=_arg(hours)).parsed


class Events(_Group):
    """`/api/v1/apps/{app}/events`."""

    def publish(
        self,
        app: str,
        type: str,
        payload: Any,
        *,
        idempotency_key: str | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
        schema_version: int | None = None,
    ) -> Published:
        """Publishes an event. Always sends an `Idempotency-Key`: the caller's, or a random UUID, returned in
        the answer so a publish whose outcome is unknown (a network error) can be repeated safely with it."""
        key = idempotency_key or str(uuid.uuid4())
        fields: dict[str, Any] = {"type": type, "payload": payload}
        for name, value in (("channel_id", channel_id), ("user_id", user_id), ("schema_version", schema_version)):
            if value is not None:
                fields[name] = value
        body = PublishEvent.from_dict(fields)
        response = publish_event.sync_detailed(app, client=self._c, body=body, idempotency_key=key)
        replayed = response.headers.get("idempotent-replayed", "").lower() == "true"
        return Published(event=response.parsed, idempotency_key=key, replayed=replayed)

    def list(
        self,
        app: str,
        limit: int | None = None,
        cursor: str | None = None,
        *,
        type: str | None = None,
        type_prefix: str | None = None,
        channel: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
    ) -> Page[ListedEvent]:
        """Newest first; `after` (inclusive) and `before` bound the creation time."""
        response = list_events.sync_detailed(
            app,
            client=self._c,
            limit=_arg(limit),
            cursor=_arg(cursor),
            type_=_arg(type),
            type_prefix=_arg(type_prefix),
            channel=_arg(channel),
            after=_arg(after),
            before=_arg(before),
        )
        return _page(response, ListedEvent.from_dict)

    def iter(self, app: str, limit: int | None = None, **filters: Any) -> Iterator[ListedEvent]:
        return _follow(lambda cursor: self.list(app, limit, cursor, **filters))

    def get(self, app: str, event: str) -> Event:
        return get_event.sync_detailed(app, event, client=self._c).parsed

    def deliveries(self, app: str, event: str, limit: int | None = None, cursor: str | None = None) -> Page[Delivery]:
        response = list_event_deliveries.sync_detailed(
            app, event, client=self._c, limit=_arg(limit), cursor=_arg(cursor)
        )
        return _page(response, Delivery.from_dict)


class Deliveries(_Group):
    """A subscription's deliveries, one delivery with its attempts, and manual retry."""

    def list(
        self,
        app: str,
        sub: str,
        limit: int | None = None,
        cursor: str | None = None,
        status: DeliveryStatus | str | None = None,
    ) -> Page[Delivery]:
        response = list_subscription_deliveries.sync_detailed(
            app,
            sub,
            client=self._c,
            limit=_arg(limit),
            cursor=_arg(cursor),
            status=UNSET if status is None else DeliveryStatus(status),
        )
        return _page(response, Delivery.from_dict)

    def iter(
        self, app: str, sub: str, limit: int | None = None, status: DeliveryStatus | str | None = None
    ) -> Iterator[Delivery]:
        return _follow(lambda cursor: self.list(app, sub, limit, cursor, status))

    def get(self, delivery: str) -> DeliveryDetail:
        return get_delivery.sync_detailed(delivery, client=self._c).parsed

    def retry(self, delivery: str) -> Delivery:
        return retry_delivery.sync_detailed(delivery, client=self._c).parsed


class Attempts(_Group):
    """`/api/v1/attempts`: the account's attempts in the order they finished."""

    def list(self, after: str | None = None, limit: int | None = None, app: str | None = None) -> Page[AttemptEntry]:
        """Without `after`, the newest `limit`; with it, the next `limit` after that attempt id. Ascending."""
        response = list_attempts.sync_detailed(client=self._c, after=_arg(after), limit=_arg(limit), app=_arg(app))
        return _page(response, AttemptEntry.from_dict)

    def iter(
        self, after: str | None = None, limit: int | None = None, app: str | None = None
    ) -> Iterator[AttemptEntry]:
        """Follows `next_cursor` (the last id of a full page) as `after` until a page is not full."""
        return _follow(lambda cursor: self.list(cursor, limit, app), after)


class Hookd:
    """A client of hookd's native API.

    `token` is the admin token or an access key's `token` (`<key_id>:<secret>`); `account` is sent as
    `Hookd-Account` (an admin acting in an account, or a key acting in a child account). A 429 or 503 is
    retried up to `max_retries` times after its `Retry-After` (not when that is over `max_retry_wait`
    seconds). `timeout` is per request, in seconds. `generated` is the generated client, for operations
    without a method here (`hookd._generated.api.*`).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        account: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        *,
        max_retry_wait: float = 60.0,
        verify: Any = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.account = account
        self._options = {
            "timeout": timeout,
            "max_retries": max_retries,
            "max_retry_wait": max_retry_wait,
            "verify": verify,
            "transport": transport,
        }
        headers = {"Hookd-Account": account} if account else {}
        inner = transport or httpx.HTTPTransport(verify=verify)
        self.generated = AuthenticatedClient(
            base_url=self.base_url,
            token=token,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            httpx_args={
                "transport": RetryTransport(inner, max_retries=max_retries, max_wait=max_retry_wait),
                "event_hooks": {"response": [_raise_for_error]},
            },
        )
        self.accounts = Accounts(self)
        self.keys = Keys(self)
        self.apps = Apps(self)
        self.event_types = EventTypes(self)
        self.subscriptions = Subscriptions(self)
        self.events = Events(self)
        self.deliveries = Deliveries(self)
        self.attempts = Attempts(self)

    def with_account(self, account: str | None) -> Hookd:
        """The same client acting in another account (`Hookd-Account`), with its own connections."""
        return Hookd(self.base_url, self.token, account, **self._options)

    def me(self) -> MeType0 | MeType1 | MeType2:
        """Who the caller is: the admin token (`MeType0`), an access key (`MeType1`) or a portal session."""
        return get_me.sync_detailed(client=self.generated).parsed

    def close(self) -> None:
        self.generated.get_httpx_client().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
