from enum import StrEnum


class DeliveryStatus(StrEnum):
    CANCELLED = "cancelled"
    DEAD = "dead"
    DELIVERING = "delivering"
    PENDING = "pending"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
