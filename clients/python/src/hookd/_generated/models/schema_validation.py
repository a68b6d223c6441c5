from enum import StrEnum


class SchemaValidation(StrEnum):
    ENFORCE = "enforce"
    OFF = "off"
    WARN = "warn"

    def __str__(self) -> str:
        return str(self.value)
