from enum import StrEnum


class MeType0Kind(StrEnum):
    ADMIN = "admin"

    def __str__(self) -> str:
        return str(self.value)
