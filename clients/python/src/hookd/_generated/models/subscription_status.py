from enum import StrEnum


class SubscriptionStatus(StrEnum):
    DISABLED = "disabled"
    ENABLED = "enabled"
    LOCKED = "locked"

    def __str__(self) -> str:
        return str(self.value)
