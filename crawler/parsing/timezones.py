"""Time-zone helpers: named zones, fixed offsets, abbreviations and guesses by country."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
    "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180, "AZT": 240, "TRT": 180,
    "IST": 330, "JST": 540, "KST": 540, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AEST": 600, "AEDT": 660,
}
# Countries that (nearly) live in one zone: the ccTLD tells a page's wall clock.
CCTLD_ZONES: dict[str, str] = {
    "de": "Europe/Berlin", "at": "Europe/Vienna", "ch": "Europe/Zurich", "fr": "Europe/Paris",
    "it": "Europe/Rome", "es": "Europe/Madrid", "nl": "Europe/Amsterdam", "be": "Europe/Brussels",
    "lu": "Europe/Luxembourg", "dk": "Europe/Copenhagen", "no": "Europe/Oslo",
    "se": "Europe/Stockholm", "fi": "Europe/Helsinki", "is": "Atlantic/Reykjavik",
    "pl": "Europe/Warsaw", "cz": "Europe/Prague", "sk": "Europe/Bratislava",
    "hu": "Europe/Budapest", "ro": "Europe/Bucharest", "bg": "Europe/Sofia",
    "gr": "Europe/Athens", "tr": "Europe/Istanbul", "ua": "Europe/Kyiv", "by": "Europe/Minsk",
    "az": "Asia/Baku", "ge": "Asia/Tbilisi", "am": "Asia/Yerevan", "uz": "Asia/Tashkent",
    "uk": "Europe/London", "ie": "Europe/Dublin", "pt": "Europe/Lisbon", "jp": "Asia/Tokyo",
    "kr": "Asia/Seoul", "cn": "Asia/Shanghai", "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong",
    "in": "Asia/Kolkata", "il": "Asia/Jerusalem", "za": "Africa/Johannesburg",
    "ng": "Africa/Lagos", "ke": "Africa/Nairobi", "eg": "Africa/Cairo", "nz": "Pacific/Auckland",
    "sg": "Asia/Singapore", "my": "Asia/Kuala_Lumpur", "ph": "Asia/Manila", "lt": "Europe/Vilnius",
    "lv": "Europe/Riga", "ee": "Europe/Tallinn", "hr": "Europe/Zagreb", "si": "Europe/Ljubljana",
    "rs": "Europe/Belgrade", "ar": "America/Argentina/Buenos_Aires", "co": "America/Bogota",
    "cl": "America/Santiago", "pe": "America/Lima", "qa": "Asia/Qatar", "ae": "Asia/Dubai",
    "sa": "Asia/Riyadh", "ir": "Asia/Tehran", "pk": "Asia/Karachi", "bd": "Asia/Dhaka",
}
# Countries with several zones where most people live in one: a page's likeliest wall clock.
MOST_PEOPLE_ZONES: dict[str, str] = {
    "ca": "America/Toronto", "au": "Australia/Sydney", "br": "America/Sao_Paulo",
    "mx": "America/Mexico_City", "ru": "Europe/Moscow", "id": "Asia/Jakarta",
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$")


@lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo | None:
    """A tzinfo for an IANA name, a ``+04:00`` offset or an abbreviation; None if unknown."""
    if not name:
        return None
    name = name.strip()
    if name.upper() in ABBREVIATIONS:
        return timezone(timedelta(minutes=ABBREVIATIONS[name.upper()]))
    match = _OFFSET.match(name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for_host(host: str) -> tzinfo | None:
    """The single time zone of the country a host's ccTLD names, if there is one."""
    tld = host.lower().rstrip(".").rsplit(".", 1)[-1]
    return zone(CCTLD_ZONES.get(tld) or MOST_PEOPLE_ZONES.get(tld))


def localize(value: datetime, tz: tzinfo | None) -> datetime:
    """Attach ``tz`` to a naive datetime (wall-clock time in that zone).

    A wall time the zone skips (02:30 on a spring-forward night) is read with the offset before
    the change, as PEP 495 does, and given as the zone's real time of that instant (03:30 with
    the summer offset): never a time with an offset the zone did not have then.
    """
    if value.tzinfo is not None or tz is None:
        return value
    local = value.replace(tzinfo=tz)
    try:
        return local.astimezone(UTC).astimezone(tz)
    except OverflowError:  # at the ends of datetime's range: no zone change there to mind
        return local


def fixed_offset(value: datetime) -> datetime:
    """Replace a named zone by its fixed UTC offset at that instant (for stable ISO output)."""
    if value.tzinfo is None:
        return value
    offset = value.utcoffset()
    return value.replace(tzinfo=timezone(offset)) if offset is not None else value
