from enum import StrEnum


class AppKind(StrEnum):
    CAMS = "cams"
    ESS = "ess"
    LIVE_DOMAIN = "live-domain"
    LIVE_RTC = "live-rtc"
    MEETING = "meeting"
    NATIVE = "native"
    OPS = "ops"

    def __str__(self) -> str:
        return str(self.value)
