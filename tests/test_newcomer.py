"""The path of someone new to rok (an analyst at a regional development agency), on the real
mirror: find the region by name, read its profile, its peers and partners, in an 80-column
terminal; mistakes get one clear line and change nothing."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from rok.cli.main import app

pytestmark = pytest.mark.mirror
runner = CliRunner()


def rok(db: object, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "80"})


def readable(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines and all(len(line.rstrip()) <= 80 for line in lines), max(lines, key=len)
    return result.stdout


def test_find_the_region_by_name(mirror_db):
    text = readable(rok(mirror_db, "regions", "--search", "podkarpackie"))
    assert "PL82 Podkarpackie" in text and "%" in text  # the placed share


def test_profile_by_name(mirror_db):
    text = readable(rok(mirror_db, "profile", "Podkarpackie"))
    assert text.startswith("PL82 Podkarpackie: research profile")
    assert "SC3 Secure, clean" in text  # codes come with their names


def test_peers_by_name(mirror_db):
    text = readable(rok(mirror_db, "peers", "Lombardia"))
    assert "structural peers of ITC4 Lombardia" in text


def test_partners_by_region_and_domain_names(mirror_db):
    text = readable(rok(mirror_db, "partners", "Podkarpackie", "--domain", "Secure, clean and efficient energy"))
    assert "partners for PL82 Podkarpackie in SC3 Secure, clean and efficient energy" in text
    # organisations named with their city and region, not bare ids
    assert text.count("(") >= 5 and "organisation" in text


def test_specialisation_of_one_region_by_its_old_code(mirror_db):
    result = rok(mirror_db, "specialisation", "--region", "FR71")
    text = readable(result)
    assert "note: FR71 (NUTS 2013) is FRK2 Rhône-Alpes in NUTS 2021" in result.stderr
    assert "FRK2" in text and "Rhône-Alpes" in text and "FR71" not in text


def test_an_unknown_old_code_is_one_clear_line(mirror_db):
    import duckdb

    with duckdb.connect(str(mirror_db), read_only=True) as con:
        has_history = bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                       "WHERE table_name = 'nuts_code_history'").fetchone()[0])
    if has_history:
        pytest.skip("the code history is loaded: FR71 is mapped")
    result = rok(mirror_db, "specialisation", "--region", "FR71")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "not a NUTS code of the versions in this warehouse" in result.stderr


def test_unplaced_organisations(mirror_db):
    text = readable(rok(mirror_db, "locate", "--unplaced", "--top", "10"))
    assert "unplaced organisations" in text and "reason" in text


@pytest.mark.parametrize(("args", "message"), [
    (["peers", "Limburg"], "several regions match; give one of: BE22 Prov. Limburg (BE) (NUTS 2), NL42 Limburg"),
    (["profile", "HR04"], "HR04 (NUTS 2016) was split in NUTS 2021; give one of: HR02 Panonska Hrvatska"),
    (["partners", "PL82", "--domain", "secure"], "several domains match; give one of: SC3"),
    (["profile", "Podkarpacke"], "did you mean PL82 Podkarpackie"),
    (["specialisation", "--years", "2030-2035"], "data exist for projects starting 2014-"),
    (["network", "organisations", "--domain", "SC3", "--html", "page.html"], "--html draws the region network only"),
])
def test_mistakes_get_one_line_and_change_nothing(mirror_db, tmp_path, args, message):
    before = hashlib.sha256(mirror_db.read_bytes()).hexdigest()
    args = [str(tmp_path / a) if a.endswith(".html") else a for a in args]
    result = rok(mirror_db, *args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: ") and message in error[0], result.stderr
    assert hashlib.sha256(mirror_db.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("*.html"))


def test_old_code_is_read_with_a_note(mirror_db):
    result = rok(mirror_db, "peers", "NO01")
    assert result.exit_code == 0, result.output
    assert "note: NO01 (NUTS 2016) is NO08 Oslo og Viken in NUTS 2021" in result.stderr
    assert "structural peers of NO08" in result.stdout
