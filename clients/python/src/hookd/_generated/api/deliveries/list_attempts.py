from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.list_response_attempt_entry import ListResponseAttemptEntry
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    app: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["after"] = after

    params["limit"] = limit

    params["app"] = app

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/attempts",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ListResponseAttemptEntry | None:
    if response.status_code == 200:
        response_200 = ListResponseAttemptEntry.from_dict(response.json())

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
) -> Response[ErrorBody | ListResponseAttemptEntry]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    app: str | Unset = UNSET,
) -> Response[ErrorBody | ListResponseAttemptEntry]:
    """The account's attempts, in attempt id order (ids are made as attempts finish, so this is the order
    they finished in, to the millisecond across processes): with `after`, the next ones after that
    attempt, oldest first; without, the newest `limit`, oldest first. `next_cursor` is the last
    attempt's
    id when the page is full; to follow new attempts, call again with `after` the last id seen.

    Args:
        after (str | Unset):
        limit (int | Unset):
        app (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListResponseAttemptEntry]
    """

    kwargs = _get_kwargs(
        after=after,
        limit=limit,
        app=app,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    app: str | Unset = UNSET,
) -> ErrorBody | ListResponseAttemptEntry | None:
    """The account's attempts, in attempt id order (ids are made as attempts finish, so this is the order
    they finished in, to the millisecond across processes): with `after`, the next ones after that
    attempt, oldest first; without, the newest `limit`, oldest first. `next_cursor` is the last
    attempt's
    id when the page is full; to follow new attempts, call again with `after` the last id seen.

    Args:
        after (str | Unset):
        limit (int | Unset):
        app (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListResponseAttemptEntry
    """

    return sync_detailed(
        client=client,
        after=after,
        limit=limit,
        app=app,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    app: str | Unset = UNSET,
) -> Response[ErrorBody | ListResponseAttemptEntry]:
    """The account's attempts, in attempt id order (ids are made as attempts finish, so this is the order
    they finished in, to the millisecond across processes): with `after`, the next ones after that
    attempt, oldest first; without, the newest `limit`, oldest first. `next_cursor` is the last
    attempt's
    id when the page is full; to follow new attempts, call again with `after` the last id seen.

    Args:
        after (str | Unset):
        limit (int | Unset):
        app (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ListResponseAttemptEntry]
    """

    kwargs = _get_kwargs(
        after=after,
        limit=limit,
        app=app,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    after: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    app: str | Unset = UNSET,
) -> ErrorBody | ListResponseAttemptEntry | None:
    """The account's attempts, in attempt id order (ids are made as attempts finish, so this is the order
    they finished in, to the millisecond across processes): with `after`, the next ones after that
    attempt, oldest first; without, the newest `limit`, oldest first. `next_cursor` is the last
    attempt's
    id when the page is full; to follow new attempts, call again with `after` the last id seen.

    Args:
        after (str | Unset):
        limit (int | Unset):
        app (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ListResponseAttemptEntry
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            limit=limit,
            app=app,
        )
    ).parsed
