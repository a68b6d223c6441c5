import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.list_response_listed_event import ListResponseListedEvent
from ...types import UNSET, Response, Unset


def _get_kwargs(
    app: str,
    *,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    type_prefix: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    after: datetime.datetime | Unset = UNSET,
    before: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params["type"] = type_

    params["type_prefix"] = type_prefix

    params["channel"] = channel

    json_after: str | Unset = UNSET
    if not isinstance(after, Unset):
        json_after = after.isoformat()
    params["after"] = json_after

    json_before: str | Unset = UNSET
    if not isinstance(before, Unset):
        json_before = before.isoformat()
    params["before"] = json_before

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/apps/{app}/events".format(
            app=quote(str(app), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ListResponseListedEvent | None:
    if response.status_code == 200:
        response_200 = ListResponseListedEvent.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = ErrorBody.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | ListResponseListedEvent]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    app: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    type_prefix: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    after: datetime.datetime | Unset = UNSET,
    before: datetime.datetime | Unset = UNSET,
) -> Response[ErrorBody | ListResponseListedEvent]:
    """List or search an app's events, newest first. Besides the parameters listed, `payload.<dotted.path>=
    <value>` (up to five) keeps events whose payload has that value at that path, compared as text (a
    number by its digits, `true`/`false`); a path segment of digits indexes an array.

    Args:
        app (str):
        limit (int | Unset):
        cursor (str | Unset):
        type_ (str | Unset):
        type_prefix (str | Unset):
        channel (str | Unset):
        after (datetime.datetime | Unset):
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListResponseListedEvent]
    """

    kwargs = _get_kwargs(
        app=app,
        limit=limit,
        cursor=cursor,
        type_=type_,
        type_prefix=type_prefix,
        channel=channel,
        after=after,
        before=before,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    app: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    type_prefix: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    after: datetime.datetime | Unset = UNSET,
    before: datetime.datetime | Unset = UNSET,
) -> ErrorBody | ListResponseListedEvent | None:
    """List or search an app's events, newest first. Besides the parameters listed, `payload.<dotted.path>=
    <value>` (up to five) keeps events whose payload has that value at that path, compared as text (a
    number by its digits, `true`/`false`); a path segment of digits indexes an array.

    Args:
        app (str):
        limit (int | Unset):
        cursor (str | Unset):
        type_ (str | Unset):
        type_prefix (str | Unset):
        channel (str | Unset):
        after (datetime.datetime | Unset):
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListResponseListedEvent
    """

    return sync_detailed(
        app=app,
        client=client,
        limit=limit,
        cursor=cursor,
        type_=type_,
        type_prefix=type_prefix,
        channel=channel,
        after=after,
        before=before,
    ).parsed


async def asyncio_detailed(
    app: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    type_prefix: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    after: datetime.datetime | Unset = UNSET,
    before: datetime.datetime | Unset = UNSET,
) -> Response[ErrorBody | ListResponseListedEvent]:
    """List or search an app's events, newest first. Besides the parameters listed, `payload.<dotted.path>=
    <value>` (up to five) keeps events whose payload has that value at that path, compared as text (a
    number by its digits, `true`/`false`); a path segment of digits indexes an array.

    Args:
        app (str):
        limit (int | Unset):
        cursor (str | Unset):
        type_ (str | Unset):
        type_prefix (str | Unset):
        channel (str | Unset):
        after (datetime.datetime | Unset):
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListResponseListedEvent]
    """

    kwargs = _get_kwargs(
        app=app,
        limit=limit,
        cursor=cursor,
        type_=type_,
        type_prefix=type_prefix,
        channel=channel,
        after=after,
        before=before,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    app: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    type_: str | Unset = UNSET,
    type_prefix: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    after: datetime.datetime | Unset = UNSET,
    before: datetime.datetime | Unset = UNSET,
) -> ErrorBody | ListResponseListedEvent | None:
    """List or search an app's events, newest first. Besides the parameters listed, `payload.<dotted.path>=
    <value>` (up to five) keeps events whose payload has that value at that path, compared as text (a
    number by its digits, `true`/`false`); a path segment of digits indexes an array.

    Args:
        app (str):
        limit (int | Unset):
        cursor (str | Unset):
        type_ (str | Unset):
        type_prefix (str | Unset):
        channel (str | Unset):
        after (datetime.datetime | Unset):
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListResponseListedEvent
    """

    return (
        await asyncio_detailed(
            app=app,
            client=client,
            limit=limit,
            cursor=cursor,
            type_=type_,
            type_prefix=type_prefix,
            channel=channel,
            after=after,
            before=before,
        )
    ).parsed
