"""Durations, sizes and timestamps in the exact wording of docker's go-units and Go's time.

`docker service ps` (CURRENT STATE), `docker ps` (CREATED/STATUS) and `docker images`
(SIZE) print these; the boundaries ("About an hour" is anything that rounds to one hour,
47 h is still hours, 13 days still days, ...) are part of what learners read, so they are
reproduced from go-units rather than approximated. (A 2026 docker/cli proposal rounds
days/weeks/months too; no release does, so this follows go-units as shipped.)
"""

from __future__ import annotations

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY

_DECIMAL_ABBRS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_ABBRS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _go_hours(ns: int) -> float:
    # time.Duration.Hours(): float64(d/Hour) + float64(d%Hour)/(60*60*1e9)
    whole, rest = divmod(ns, HOUR)
    return float(whole) + float(rest) / 3.6e12


def human_duration_ns(ns: int) -> str:
    """go-units `HumanDuration` for a duration in nanoseconds (Go's time.Duration).

    Only the hour count is rounded (so 1h29m is "About an hour"); days, weeks, months
    and years are whole divisions of that rounded hour count, as every docker release
    prints them.
    """
    if ns < SECOND:
        return "Less than a second"
    seconds = ns // SECOND
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = ns // MINUTE
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(_go_hours(ns) + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(_go_hours(ns)) // 24 // 365} years"


def human_duration(seconds: float) -> str:
    """go-units `HumanDuration` for a duration given in (possibly fractional) seconds."""
    return human_duration_ns(round(seconds * SECOND))


def _size_and_unit(size: float, base: float, abbrs: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(abbrs) - 1:
        size /= base
        i += 1
    return size, abbrs[i]


def _go_g(value: float, precision: int) -> str:
    # Go's %.Ng and C's agree: N significant digits, trailing zeros dropped, exponent
    # form when the exponent is < -4 or >= N, at least two exponent digits.
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.{max(precision, 1)}g}"


def human_size_with_precision(size: float, precision: int) -> str:
    """go-units `HumanSizeWithPrecision`: decimal units (kB, MB, ...), `precision` digits."""
    value, unit = _size_and_unit(float(size), 1000.0, _DECIMAL_ABBRS)
    return _go_g(value, precision) + unit


def human_size(size: float) -> str:
    """go-units `HumanSize` (4 significant digits), e.g. `2.746MB`."""
    return human_size_with_precision(size, 4)


def image_size(size: float) -> str:
    """The SIZE column of `docker images`: HumanSizeWithPrecision(size, 3), e.g. `4.26MB`."""
    return human_size_with_precision(size, 3)


def bytes_size(size: float) -> str:
    """go-units `BytesSize`: binary units (KiB, MiB, ...), 4 significant digits."""
    value, unit = _size_and_unit(float(size), 1024.0, _BINARY_ABBRS)
    return _go_g(value, 4) + unit


def _civil(ns: int, offset_seconds: int) -> tuple[int, int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second, nanosecond) of a Unix time in ns."""
    total_s, nanos = divmod(ns, SECOND)
    days, rem = divmod(total_s + offset_seconds, 86400)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    # Days since 1970-01-01 to a proleptic Gregorian date (works for any year).
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day, hour, minute, second, nanos


def _go_year(year: int) -> str:
    return f"{year:04d}" if year >= 0 else f"-{-year:04d}"


def _offset_text(offset_seconds: int, colon: bool) -> str:
    sign = "-" if offset_seconds < 0 else "+"
    hh, mm = divmod(abs(offset_seconds) // 60, 60)
    return f"{sign}{hh:02d}:{mm:02d}" if colon else f"{sign}{hh:02d}{mm:02d}"


def docker_time(ns_since_epoch: int, offset_seconds: int = 0) -> str:
    """Go's RFC3339Nano, as the daemon's JSON carries times: `2021-10-27T01:53:08.549111816Z`.

    Trailing zeros of the fraction are dropped (and the dot with them); UTC prints `Z`,
    any other zone its `+hh:mm` offset.
    """
    year, month, day, hour, minute, second, nanos = _civil(ns_since_epoch, offset_seconds)
    frac = f".{nanos:09d}".rstrip("0") if nanos else ""
    zone = "Z" if offset_seconds == 0 else _offset_text(offset_seconds, colon=True)
    return f"{_go_year(year)}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{zone}"


def go_time_string(ns_since_epoch: int, offset_seconds: int = 0, zone_name: str = "UTC") -> str:
    """Go's `time.Time.String()`: what `{{.Created}}` prints on a typed inspect struct.

    E.g. `2021-10-27 01:53:08.549111816 +0000 UTC` (fraction without trailing zeros).
    """
    year, month, day, hour, minute, second, nanos = _civil(ns_since_epoch, offset_seconds)
    frac = f".{nanos:09d}".rstrip("0") if nanos else ""
    offset = _offset_text(offset_seconds, colon=False)
    return (
        f"{_go_year(year)}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}{frac}"
        f" {offset} {zone_name}"
    )
