from enum import StrEnum


class MeType1Kind(StrEnum):
    KEY = "key"

    def __str__(self) -> str:
        return str(self.value)
