from enum import StrEnum


class Format(StrEnum):
    CAMS = "cams"
    ESS = "ess"
    LIVE_RTC = "live-rtc"
    LIVE_SNAPSHOT = "live-snapshot"
    MEETING = "meeting"
    NATIVE = "native"

    def __str__(self) -> str:
        return str(self.value)
