from enum import StrEnum


class Product(StrEnum):
    CAMS = "cams"
    ESS = "ess"
    LIVE = "live"
    MEETING = "meeting"

    def __str__(self) -> str:
        return str(self.value)
