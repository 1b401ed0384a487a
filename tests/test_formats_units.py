"""Durations, sizes and times read exactly as go-units and Go's time package print them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.shell.formats.units import (
    DAY,
    HOUR,
    MINUTE,
    MONTH,
    SECOND,
    WEEK,
    YEAR,
    bytes_size,
    docker_time,
    go_time_string,
    human_duration,
    human_duration_ns,
    human_size,
    human_size_with_precision,
    image_size,
)

MS = SECOND // 1000

# go-units duration_test.go, TestHumanDuration
DURATIONS = [
    (450 * MS, "Less than a second"),
    (1 * SECOND, "1 second"),
    (45 * SECOND, "45 seconds"),
    (46 * SECOND, "46 seconds"),
    (59 * SECOND, "59 seconds"),
    (60 * SECOND, "About a minute"),
    (1 * MINUTE, "About a minute"),
    (3 * MINUTE, "3 minutes"),
    (35 * MINUTE, "35 minutes"),
    (35 * MINUTE + 40 * SECOND, "35 minutes"),
    (45 * MINUTE, "45 minutes"),
    (45 * MINUTE + 40 * SECOND, "45 minutes"),
    (46 * MINUTE, "46 minutes"),
    (59 * MINUTE, "59 minutes"),
    (1 * HOUR, "About an hour"),
    (1 * HOUR + 29 * MINUTE, "About an hour"),
    (1 * HOUR + 31 * MINUTE, "2 hours"),
    (1 * HOUR + 59 * MINUTE, "2 hours"),
    (3 * HOUR, "3 hours"),
    (3 * HOUR + 29 * MINUTE, "3 hours"),
    (3 * HOUR + 31 * MINUTE, "4 hours"),
    (3 * HOUR + 59 * MINUTE, "4 hours"),
    (3 * HOUR + 60 * MINUTE, "4 hours"),
    (24 * HOUR, "24 hours"),
    (1 * DAY + 12 * HOUR, "36 hours"),
    (2 * DAY, "2 days"),
    (7 * DAY, "7 days"),
    (13 * DAY + 5 * HOUR, "13 days"),
    (2 * WEEK, "2 weeks"),
    (2 * WEEK + 4 * DAY, "2 weeks"),
    (3 * WEEK, "3 weeks"),
    (4 * WEEK, "4 weeks"),
    (4 * WEEK + 3 * DAY, "4 weeks"),
    (1 * MONTH, "4 weeks"),
    (1 * MONTH + 2 * WEEK, "6 weeks"),
    (2 * MONTH, "2 months"),
    (2 * MONTH + 2 * WEEK, "2 months"),
    (3 * MONTH, "3 months"),
    (3 * MONTH + 1 * WEEK, "3 months"),
    (5 * MONTH + 2 * WEEK, "5 months"),
    (13 * MONTH, "13 months"),
    (23 * MONTH, "23 months"),
    (24 * MONTH, "24 months"),
    (24 * MONTH + 2 * WEEK, "2 years"),
    (3 * YEAR + 2 * MONTH, "3 years"),
]


@pytest.mark.parametrize(("ns", "text"), DURATIONS)
def test_human_duration_matches_go_units(ns: int, text: str) -> None:
    assert human_duration_ns(ns) == text


def test_human_duration_boundaries() -> None:
    assert human_duration_ns(SECOND - 1) == "Less than a second"
    assert human_duration_ns(-5 * SECOND) == "Less than a second"
    assert human_duration_ns(2 * MINUTE - 1) == "About a minute"
    assert human_duration_ns(HOUR + 30 * MINUTE - 1) == "About an hour"
    assert human_duration_ns(HOUR + 30 * MINUTE) == "2 hours"  # the hour count rounds half up
    assert human_duration_ns(47 * HOUR + 29 * MINUTE) == "47 hours"
    assert human_duration_ns(47 * HOUR + 30 * MINUTE) == "2 days"  # rounds to 48 h: days
    # Days, weeks, months and years are floored (go-units as shipped in every release).
    assert human_duration_ns(3 * DAY + 23 * HOUR) == "3 days"
    assert human_duration_ns(2 * WEEK - 31 * MINUTE) == "13 days"
    assert human_duration_ns(2 * WEEK - 30 * MINUTE) == "2 weeks"
    assert human_duration_ns(60 * DAY - HOUR) == "8 weeks"
    assert human_duration_ns(60 * DAY) == "2 months"
    assert human_duration_ns(2 * YEAR - HOUR) == "24 months"
    assert human_duration_ns(2 * YEAR) == "2 years"
    assert human_duration_ns(2 * YEAR + 364 * DAY) == "2 years"


def test_human_duration_in_seconds_and_service_ps_wording() -> None:
    assert human_duration(0.4) == "Less than a second"
    assert human_duration(2.5) == "2 seconds"
    assert human_duration(125) == "2 minutes"
    # docker service ps: "<State> <lower-cased HumanDuration> ago"
    assert f"Running {human_duration(80).lower()} ago" == "Running about a minute ago"


@given(st.integers(min_value=0, max_value=10 * YEAR))
def test_human_duration_always_has_one_of_the_go_units_shapes(ns: int) -> None:
    text = human_duration_ns(ns)
    fixed = {"Less than a second", "1 second", "About a minute", "About an hour"}
    if text not in fixed:
        number, unit = text.split(" ")
        assert int(number) >= 2
        assert unit in {"seconds", "minutes", "hours", "days", "weeks", "months", "years"}


# go-units size_test.go
def test_human_size_matches_go_units() -> None:
    assert human_size(1000) == "1kB"
    assert human_size(1024) == "1.024kB"
    assert human_size(1000000) == "1MB"
    assert human_size(1048576) == "1.049MB"
    assert human_size(2 * 1000**2) == "2MB"
    assert human_size(3.42 * 1000**3) == "3.42GB"
    assert human_size(5.372 * 1000**4) == "5.372TB"
    assert human_size(2.22 * 1000**5) == "2.22PB"
    assert human_size(10000000000000 * 1000**5) == "1e+04YB"
    assert human_size(0) == "0B"
    assert human_size(999) == "999B"


def test_bytes_size_matches_go_units() -> None:
    assert bytes_size(1024) == "1KiB"
    assert bytes_size(1024 * 1024) == "1MiB"
    assert bytes_size(2 * 1024**2) == "2MiB"
    assert bytes_size(3.42 * 1024**3) == "3.42GiB"
    assert bytes_size(5.372 * 1024**4) == "5.372TiB"
    assert bytes_size(2.22 * 1024**5) == "2.22PiB"
    assert bytes_size(1024**5 * 1024**5) == "1.049e+06YiB"


def test_docker_images_sizes_use_three_digits() -> None:
    assert image_size(4_260_000) == "4.26MB"
    assert image_size(1_240_000) == "1.24MB"
    assert image_size(4_261_000) == "4.26MB"
    assert image_size(1_239_900) == "1.24MB"
    assert human_size_with_precision(7_000_000, 3) == "7MB"
    assert image_size(123_456_789) == "123MB"


def test_docker_time_is_rfc3339nano_without_trailing_zeros() -> None:
    ns = 1635299588 * SECOND + 549111816
    assert docker_time(ns) == "2021-10-27T01:53:08.549111816Z"
    assert docker_time(1635299588 * SECOND + 500_000_000) == "2021-10-27T01:53:08.5Z"
    assert docker_time(1635299588 * SECOND) == "2021-10-27T01:53:08Z"
    assert docker_time(0) == "1970-01-01T00:00:00Z"
    assert docker_time(ns, offset_seconds=2 * 3600) == "2021-10-27T03:53:08.549111816+02:00"
    assert docker_time(ns, offset_seconds=-(5 * 3600 + 30 * 60)) == "2021-10-26T20:23:08.549111816-05:30"


def test_go_zero_time_and_leap_days() -> None:
    # time.Time{} (year 1) is what a manager shows for a network it never instantiated.
    zero = -62135596800 * SECOND
    assert docker_time(zero) == "0001-01-01T00:00:00Z"
    assert docker_time(951782400 * SECOND) == "2000-02-29T00:00:00Z"


def test_go_time_string_is_what_a_typed_struct_prints() -> None:
    ns = 1635299588 * SECOND + 549111816
    assert go_time_string(ns) == "2021-10-27 01:53:08.549111816 +0000 UTC"
    assert go_time_string(1635299588 * SECOND, 3600, "CET") == "2021-10-27 02:53:08 +0100 CET"


@given(st.integers(min_value=-(10**18), max_value=10**19))
def test_docker_time_agrees_with_python_datetime(ns: int) -> None:
    import datetime as dt

    secs, frac = divmod(ns, SECOND)
    d = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=secs)
    text = docker_time(ns)
    assert text.startswith(d.strftime("%Y-%m-%dT%H:%M:%S"))
    assert text.endswith("Z")
    if frac:
        assert text[19] == "." and int(text[20:-1].ljust(9, "0")) == frac
