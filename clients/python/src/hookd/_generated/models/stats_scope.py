from enum import StrEnum


class StatsScope(StrEnum):
    ACCOUNT = "account"
    SERVER = "server"

    def __str__(self) -> str:
        return str(self.value)
