"""NUTS code rules: syntax, the countries NUTS covers, ISO <-> NUTS country codes."""

from __future__ import annotations

import re

__all__ = [
    "NUTS_COUNTRIES",
    "is_nuts_syntax",
    "is_aggregate",
    "nuts_country",
    "iso_to_nuts",
    "nuts_to_iso",
    "check_nuts_code",
]

#: Countries with NUTS (or statistical-region) codes in the GISCO releases 2016-2024
#: (BA, UA and XK appear in 2024 only).
NUTS_COUNTRIES = frozenset(
    "AL AT BA BE BG CH CY CZ DE DK EE EL ES FI FR HR HU IE IS IT LI LT LU LV ME MK MT NL NO "
    "PL PT RO RS SE SI SK TR UA UK XK".split()
)
_CODE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}$")
_AGGREGATE = re.compile(r"^(EU\d*(_\d{4})?|EA\d*(_\d{4})?|EEA\d*|EFTA|EU27_2020|EU28|EU27_2007)$")
_ISO_TO_NUTS = {"GB": "UK", "GR": "EL"}
_NUTS_TO_ISO = {v: k for k, v in _ISO_TO_NUTS.items()}

from rok.errors import InputError  # noqa: E402


def is_nuts_syntax(code: str) -> bool:
    """True for 2 letters followed by up to 3 letters or digits (``DE``, ``DE2``, ``DE21H``)."""
    return bool(_CODE.match(code))


def is_aggregate(code: str) -> bool:
    """True for Eurostat aggregates such as ``EU27_2020`` or ``EA19``."""
    return bool(_AGGREGATE.match(code))


def nuts_country(code: str) -> str:
    """The country part of a NUTS code (``UK`` for ``UKI3``)."""
    return code[:2]


def iso_to_nuts(country: str) -> str:
    """ISO 3166 alpha-2 to the NUTS country code (GB->UK, GR->EL); others unchanged."""
    country = country.strip().upper()
    return _ISO_TO_NUTS.get(country, country)


def nuts_to_iso(country: str) -> str:
    """NUTS country code to ISO 3166 alpha-2 (UK->GB, EL->GR); others unchanged."""
    country = country.strip().upper()
    return _NUTS_TO_ISO.get(country, country)


def check_nuts_code(code: str, *, file: str, line: int | None, column: str) -> str:
    """Return ``code`` upper-cased if it is a NUTS code of a NUTS country, else raise."""
    value = code.strip().upper()
    if not is_nuts_syntax(value) or nuts_country(value) not in NUTS_COUNTRIES:
        raise InputError(
            "unknown NUTS code: expected a NUTS country code (e.g. DE) followed by up to three "
            "letters or digits (e.g. DE21, DE21H)",
            file=file,
            line=line,
            column=column,
            value=code,
        )
    return value
