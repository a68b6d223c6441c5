from enum import StrEnum


class Health(StrEnum):
    DISABLED = "disabled"
    FAILING = "failing"
    HEALTHY = "healthy"
    LOCKED = "locked"

    def __str__(self) -> str:
        return str(self.value)
