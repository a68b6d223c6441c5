from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Attempt")


@_attrs_define
class Attempt:
    """
    Attributes:
        attempt (int): 1 for the first attempt.
        duration_ms (int):
        id (str):
        started_at (datetime.datetime):
        succeeded (bool): Whether the attempt delivered the callback: a 2xx answer, or a queue's confirmation.
        error (None | str | Unset):
        failure (None | str | Unset): Why it failed, absent when it succeeded: `status` (the receiver answered other
            than 2xx),
            `redirect`, `timeout`, `connection_refused` (nothing listens at the port), `tls` (the handshake
            failed), `connect` (any other connection failure), `dns`, `blocked` (the target's address is not public),
            `destination` (not a URL hookd can deliver to), `no_operator_queue`, `queue` (the broker refused or
            failed), `render` (the request could not be prepared), `payload_dropped` (retention dropped the
            event's payload) or `request` (any other failure of the request).
        response_excerpt (None | str | Unset): The start of the receiver's response body.
        status_code (int | None | Unset): The receiver's HTTP status, absent when no response arrived.
    """

    attempt: int
    duration_ms: int
    id: str
    started_at: datetime.datetime
    succeeded: bool
    error: None | str | Unset = UNSET
    failure: None | str | Unset = UNSET
    response_excerpt: None | str | Unset = UNSET
    status_code: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        duration_ms = self.duration_ms

        id = self.id

        started_at = self.started_at.isoformat()

        succeeded = self.succeeded

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        failure: None | str | Unset
        if isinstance(self.failure, Unset):
            failure = UNSET
        else:
            failure = self.failure

        response_excerpt: None | str | Unset
        if isinstance(self.response_excerpt, Unset):
            response_excerpt = UNSET
        else:
            response_excerpt = self.response_excerpt

        status_code: int | None | Unset
        if isinstance(self.status_code, Unset):
            status_code = UNSET
        else:
            status_code = self.status_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt": attempt,
                "duration_ms": duration_ms,
                "id": id,
                "started_at": started_at,
                "succeeded": succeeded,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if failure is not UNSET:
            field_dict["failure"] = failure
        if response_excerpt is not UNSET:
            field_dict["response_excerpt"] = response_excerpt
        if status_code is not UNSET:
            field_dict["status_code"] = status_code

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        duration_ms = d.pop("duration_ms")

        id = d.pop("id")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        succeeded = d.pop("succeeded")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_failure(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure = _parse_failure(d.pop("failure", UNSET))

        def _parse_response_excerpt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        response_excerpt = _parse_response_excerpt(d.pop("response_excerpt", UNSET))

        def _parse_status_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status_code = _parse_status_code(d.pop("status_code", UNSET))

        attempt = cls(
            attempt=attempt,
            duration_ms=duration_ms,
            id=id,
            started_at=started_at,
            succeeded=succeeded,
            error=error,
            failure=failure,
            response_excerpt=response_excerpt,
            status_code=status_code,
        )

        attempt.additional_properties = d
        return attempt

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
