"""A demo instance with a fully issued, signed document, and empty instances to restore into."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from eoffice.cli import main
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url
from tests.system.backup_support import Site


class Recorder:
    """Progress that remembers what it was told."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int]] = []
        self.advanced = 0

    def phase(self, label: str, total: int) -> None:
        self.phases.append((label, total))

    def advance(self, amount: int) -> None:
        self.advanced += amount


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module", params=ENGINES)
def source(request, tmp_path_factory, worker_name):
    """`init-db` + `load-demo` (demo PKI, one issued signed document) + three registrations."""
    tmp = tmp_path_factory.mktemp("source")
    url = fresh_database_url(request.param, tmp, worker_name, "bksrc")
    env = {"EOFFICE_DATABASE_URL": url, "EOFFICE_INSTANCE_DIR": str(tmp / "instance")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("EOFFICE_CONFIG", raising=False)
        assert invoke("init-db").exit_code == 0
        demo = invoke("load-demo")
        assert demo.exit_code == 0, demo.output
    site = Site.at(url, tmp / "instance")
    for _ in range(3):
        site.register_document("nguồn")
    site.env = env  # type: ignore[attr-defined]
    yield site
    site.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def new_site(source, tmp_path, worker_name):
    """Make empty instances (a database with no table) on the source's engine."""
    made: list[tuple[Site, str]] = []
    engine_name = source.engine.dialect.name

    def make(name: str = "target") -> Site:
        url = fresh_database_url(engine_name, tmp_path, worker_name, f"bk{name}")
        site = Site.at(url, tmp_path / f"{name}-instance")
        made.append((site, url))
        return site

    yield make
    for site, url in made:
        site.engine.dispose()
        if engine_name == "postgresql":
            drop_postgres_database(url)
