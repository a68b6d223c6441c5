from enum import StrEnum


class MeType2Kind(StrEnum):
    PORTAL = "portal"

    def __str__(self) -> str:
        return str(self.value)
