"""Shared fixtures: the real data mirror (skipped with a message where absent) and a
session-wide cache directory, so tests never write into the user's home."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("rok-cache")
    old = os.environ.get("ROK_CACHE")
    os.environ["ROK_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("ROK_CACHE", None)
    else:
        os.environ["ROK_CACHE"] = old


@pytest.fixture(scope="session")
def mirror() -> Path:
    candidates = [os.environ.get("ROK_MIRROR"), str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data")]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    pytest.skip("the data mirror is absent: set ROK_MIRROR or put shared/data beside the repository")


@pytest.fixture(scope="session")
def mirror_db(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file with the whole mirror loaded (built once per test session)."""
    from rok.warehouse import Warehouse
    from rok.warehouse.ingest import ingest_mirror

    path = tmp_path_factory.mktemp("mirror-warehouse") / "rok.duckdb"
    with Warehouse(path) as wh:
        report = ingest_mirror(wh, mirror)
    assert report.missing == []
    return path


@pytest.fixture(scope="session")
def mirror_matrix(mirror_db: Path):  # type: ignore[no-untyped-def]
    """The mirror's NUTS 2 x programme-part activity (fractional counting), as the profiles use it."""
    from rok.measures import Selection, activity_matrix, open_engine

    with open_engine("duckdb", mirror_db) as engine:
        return activity_matrix(engine, Selection(level=2, counting="fractional"))


# -- workspace: a tiny warehouse with hand-countable participations ------------------------------
TINY_ORGS = [  # org_id, activity type, NUTS 2 (None: unplaced)
    ("o1", "HES", "AA11"), ("o2", "PRC", "AA11"), ("o3", "PRC", "AA12"),
    ("o4", "REC", "BB11"), ("o5", "PRC", "BB11"), ("o6", "PRC", None),
]
TINY_PROJECTS = [  # project_id, start year, [(org, EC contribution)], [(domain, weight)]
    ("P1", 2015, [("o1", 100.0), ("o2", 50.0), ("o4", 30.0)], [("D1", 1.0)]),
    ("P2", 2015, [("o3", 20.0), ("o4", None)], [("D1", 0.5), ("D2", 0.5)]),
    ("P3", 2016, [("o2", 10.0), ("o5", 10.0), ("o6", 10.0)], [("D2", 1.0)]),
    ("P4", 2016, [("o1", 40.0), ("o3", 40.0)], [("D1", 1.0)]),
    ("P5", 2017, [("o5", 5.0), ("o4", 5.0)], [("D2", 1.0)]),
    ("P6", 2018, [("o1", 1.0), ("o4", 1.0)], [("D1", 1.0)]),
]
TINY_INDICATORS = [  # region, (indicator, unit), year, value
    *[(r, ("demo_r_d2jan_SEX_T_AGE_TOTAL", "NR"), y, v) for r, y, v in [
        ("AA11", 2015, 1000), ("AA11", 2016, 1000), ("AA11", 2017, 2000), ("AA11", 2018, 2000),
        ("AA12", 2015, 500), ("AA12", 2016, 500),
        ("BB11", 2015, 1000), ("BB11", 2016, 1000), ("BB11", 2017, 1000), ("BB11", 2018, 1000)]],
    ("AA11", ("tgs00042.sectperf=TOTAL", "PC_GDP"), 2015, 2.0),
    ("BB11", ("tgs00042.sectperf=TOTAL", "PC_GDP"), 2015, 1.0),
    ("AA11", ("nama_10r_2gdp", "MIO_EUR"), 2015, 300.0),
    ("BB11", ("nama_10r_2gdp", "MIO_EUR"), 2015, 100.0),
]


def build_tiny_warehouse(path: Path) -> Path:
    """Write the tiny warehouse above (regions AA11, AA12 in AA; BB11 in BB) to ``path``."""
    from rok.warehouse import Warehouse

    with Warehouse(path) as wh:
        con = wh.con
        con.execute("INSERT INTO loads (load_id, source, file, sha256, status) VALUES (1, 'tiny', 'tiny', 'x', 'ok')")
        for code, level, parent in [("AA", 0, None), ("AA1", 1, "AA"), ("AA11", 2, "AA1"), ("AA12", 2, "AA1"),
                                    ("BB", 0, None), ("BB1", 1, "BB"), ("BB11", 2, "BB1")]:
            con.execute("INSERT INTO regions (code, nuts_version, level, name, country, parent, load_id) "
                        "VALUES (?, 2021, ?, ?, ?, ?, 1)", [code, level, f"Region {code}", code[:2], parent])
        for org, kind, nuts2 in TINY_ORGS:
            con.execute("INSERT INTO organisations (org_id, name, activity_type, country, nuts2, nuts1, nuts3) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [org, f"Organisation {org}", kind, nuts2[:2] if nuts2 else "CC", nuts2,
                         nuts2[:3] if nuts2 else None, nuts2 + "1" if nuts2 else None])
        for project, year, members, domains in TINY_PROJECTS:
            con.execute("INSERT INTO projects (project_id, start_year, load_id) VALUES (?, ?, 1)", [project, year])
            for org, ec in members:
                kind = next(k for o, k, _ in TINY_ORGS if o == org)
                con.execute("INSERT INTO participations (project_id, org_id, role, activity_type, ec_contribution, "
                            "load_id) VALUES (?, ?, 'participant', ?, ?, 1)", [project, org, kind, ec])
            for code, weight in domains:
                con.execute("INSERT INTO project_domains VALUES (?, 'h2020-part', ?, ?, 1)", [project, code, weight])
        for code in ("D1", "D2"):
            con.execute("INSERT INTO domains VALUES ('h2020-part', ?, ?, NULL, 1)", [code, f"Domain {code}"])
        for region, (indicator, unit), year, value in TINY_INDICATORS:
            con.execute("INSERT INTO indicators_nuts2021 (region, indicator, year, value, unit, source) "
                        "VALUES (?, ?, ?, ?, ?, 'tiny')", [region, indicator, year, value, unit])
    return path


@pytest.fixture
def tiny_warehouse(tmp_path: Path) -> Path:
    """A fresh copy of the tiny warehouse (writable: tests add loads to it)."""
    return build_tiny_warehouse(tmp_path / "tiny.duckdb")


# -- workspace: every test runs on SQLite and on a real PostgreSQL server ------------------------
PG_BIN = Path(os.environ.get("ROK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_postgres():  # type: ignore[no-untyped-def]
    """initdb + pg_ctl start in a temporary directory (as user postgres when run as root)."""
    import shutil
    import subprocess
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="rok-pg-"))
    data, port = base / "data", _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        user = next((u for u in ("postgres", "nobody") if _has_user(pwd, u)), None)
        if user is None:
            raise RuntimeError("running as root and no user postgres to run the server as")
        shutil.chown(base, user)
        os.chmod(base, 0o700)
        prefix = ["runuser", "-u", user, "--"]
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "rok", "--auth=trust", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True)
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"),
                    "-w", "-t", "60", "start"], check=True, capture_output=True)

    def stop() -> None:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)

    return f"postgresql+psycopg://rok@127.0.0.1:{port}/postgres", stop


def _has_user(pwd, name: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """The URL of a PostgreSQL server for the workspace tests.

    ``ROK_TEST_POSTGRES_URL`` (CI sets it): that server, and the tests fail when it is
    unreachable. Otherwise a throw-away server from ``/usr/lib/postgresql/15/bin``; without
    those binaries the PostgreSQL half of the tests is skipped with a message.
    """
    import sqlalchemy as sa

    given = os.environ.get("ROK_TEST_POSTGRES_URL")
    stop = None
    if given:
        url = given
    elif (PG_BIN / "initdb").exists():
        url, stop = _start_postgres()
    else:
        pytest.skip(f"no PostgreSQL: set ROK_TEST_POSTGRES_URL or install the server binaries in {PG_BIN}")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {url} is unreachable: {exc.orig}")
    yield engine
    engine.dispose()
    if stop is not None:
        stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server):  # type: ignore[no-untyped-def]
    """A database migrated once by Alembic; each test's database is a copy of it (fast)."""
    import uuid

    import sqlalchemy as sa

    from rok.workspace import Workspace

    name = f"rok_template_{uuid.uuid4().hex[:8]}"
    with postgres_server.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    Workspace(postgres_server.url.set(database=name).render_as_string(hide_password=False)).close()
    yield name
    with postgres_server.connect() as con:
        con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite workspace migrated once; each test gets a copy."""
    from rok.workspace import Workspace

    path = tmp_path_factory.mktemp("workspace-template") / "template.sqlite"
    Workspace(f"sqlite:///{path}").close()
    return path


@contextlib.contextmanager
def pg_database(server, prefix: str, template: str | None = None):  # type: ignore[no-untyped-def]
    """A fresh database on the PostgreSQL ``server`` (a copy of ``template`` when given), dropped
    afterwards; yields its URL."""
    import uuid

    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with server.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty workspace database: a SQLite file, or a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        import shutil

        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "workspace.sqlite")
        yield f"sqlite:///{tmp_path / 'workspace.sqlite'}"
        return
    with pg_database(request.getfixturevalue("postgres_server"), "rok_test",
                     request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database (no schema yet): SQLite, or a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    with pg_database(request.getfixturevalue("postgres_server"), "rok_fresh") as url:
        yield url


@pytest.fixture
def workspace(workspace_url: str):  # type: ignore[no-untyped-def]
    """An open, migrated workspace on SQLite and on PostgreSQL."""
    from rok.workspace import Workspace

    ws = Workspace(workspace_url, actor="tester@example.org")
    yield ws
    ws.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files marked ``slow`` run first (a stable sort): with ``make test``'s two processes, which
    take whole files in this order, the longest files then do not run alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
