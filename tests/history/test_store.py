"""History stores: append-only, immutable, nothing lost with concurrent writers (real processes), PostgreSQL too."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from auditkit.config import Config, ScanConfig
from auditkit.errors import HistoryStoreError
from auditkit.history import (
    RunRecord,
    compare_runs,
    default_location,
    open_store,
    record_from_report,
)
from tests.report.factories import platform_report

ROOT = Path(__file__).resolve().parents[2]


def _record(run_id: str, repo: str = "repo-a", *, password_in_head: bool = True) -> RunRecord:
    rec = record_from_report(platform_report(password_in_head=password_in_head))
    return replace(rec, run_id=run_id, repo=repo)


def test_record_round_trips_and_holds_no_secret() -> None:
    rec = _record("r1")
    assert RunRecord.from_json(rec.to_json()) == rec
    text = rec.to_json()
    assert "Ti****e!" not in text, "not even the redacted form is needed in history"
    assert rec.findings and all(f.key and f.rule_id for f in rec.findings)


def test_sqlite_store_appends_lists_newest_first_and_filters_by_repo(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "deep" / "h.sqlite3")) as store:
        a = store.append(_record("r1"))
        b = store.append(_record("r2"))
        store.append(_record("r3", repo="repo-b"))
        assert a.seq is not None and b.seq is not None and b.seq > a.seq
        assert [r.run_id for r in store.runs("repo-a")] == ["r2", "r1"]
        assert [r.run_id for r in store.runs()] == ["r3", "r2", "r1"]
        assert [r.run_id for r in store.runs(limit=1)] == ["r3"]
        with pytest.raises(HistoryStoreError, match="already recorded"):
            store.append(_record("r1"))
    # Reopening sees the same data.
    with open_store(str(tmp_path / "deep" / "h.sqlite3")) as store:
        assert len(store.runs()) == 3


def test_sqlite_records_are_immutable(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with open_store(str(path)) as store:
        store.append(_record("r1"))
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("UPDATE runs SET record = '{}'")
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("DELETE FROM runs")
    db.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "h.sqlite3"
    bad.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(HistoryStoreError, match=str(bad)):
        open_store(str(bad))


def test_default_location_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITKIT_HISTORY_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_location(None) == str(tmp_path / "xdg" / "auditkit" / "history.sqlite3")
    cfg = Config(base_dir=tmp_path, scan=ScanConfig(history_store="runs/h.db"))
    assert default_location(cfg) == str(tmp_path / "runs" / "h.db")
    monkeypatch.setenv("AUDITKIT_HISTORY_URL", "postgresql://u:pw@127.0.0.1:1/db")
    assert default_location(cfg) == "postgresql://u:pw@127.0.0.1:1/db"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://app@127.0.0.1:1/db?password=PlantQueryPw_Qq1", "PlantQueryPw"),
        ("postgres://app:Pl@nt/Slash_Ww3@127.0.0.1:1/db", "Slash_Ww3"),
        ("postgresql://app:PlantUserinfoPw_Uu7@127.0.0.1:1/db", "PlantUserinfoPw"),
        ("host=127.0.0.1 port=1 dbname=db password=PlantKvPw_Kk2", "PlantKvPw"),
    ],
)
def test_an_unreachable_postgres_store_never_shows_its_password(
    url: str, secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a location mistaken for a file path would be created here
    from click.testing import CliRunner

    from auditkit.cli import main

    for args, env in ((["history"], {"AUDITKIT_HISTORY_URL": url}), (["history", "--history-store", url], {})):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 2
        assert "cannot open the run history" in result.output
        assert secret not in result.output and "***" in result.output
    assert not any(tmp_path.iterdir())


def test_another_url_scheme_is_refused_without_echoing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HistoryStoreError, match="unsupported URL scheme") as caught:
        open_store("postgress://app:PlantTypoPw_Tt1@127.0.0.1/db")
    assert "PlantTypoPw" not in str(caught.value)
    assert not any(tmp_path.iterdir()), "no folder named after the URL"


_WRITER = """
import sys
from dataclasses import replace
sys.path.insert(0, {root!r})
from auditkit.history import open_store, record_from_report
from tests.report.factories import platform_report
base = record_from_report(platform_report())
location, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.stdin.readline()  # start together
with open_store(location) as store:
    for i in range(count):
        store.append(replace(base, run_id=f"w{{worker}}-{{i}}", repo=f"repo-{{worker}}"))
"""


def _concurrent_writers(location: str, workers: int, count: int, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT)))
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), location, str(w), str(count)],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for w in range(workers)
    ]
    for p in procs:  # release them at (nearly) the same moment
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err


def test_sqlite_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    location = str(tmp_path / "h.sqlite3")
    _concurrent_writers(location, workers=4, count=25, tmp_path=tmp_path)
    with open_store(location) as store:
        runs = store.runs()
    assert len(runs) == 100
    assert {r.run_id for r in runs} == {f"w{w}-{i}" for w in range(4) for i in range(25)}
    assert len({r.seq for r in runs}) == 100


@pytest.mark.postgres
def test_postgres_store(pg_server) -> None:  # noqa: ANN001
    url = pg_server.dsn
    with open_store(url) as store:
        assert pg_server.password not in store.location
        first = store.append(_record("pg-1", repo="pg-repo"))
        second = store.append(_record("pg-2", repo="pg-repo", password_in_head=False))
        assert second.seq > first.seq
        runs = store.runs("pg-repo")
        assert [r.run_id for r in runs] == ["pg-2", "pg-1"]
        assert runs[1] == replace(_record("pg-1", repo="pg-repo"), seq=first.seq)
        with pytest.raises(HistoryStoreError, match="already recorded"):
            store.append(_record("pg-1", repo="pg-repo"))
        trend = compare_runs(runs[1], runs[0])
        assert trend.overall_delta is not None and trend.overall_delta > 0
        assert trend.resolved_findings and all(f.area == "secrets" for f in trend.resolved_findings)
    import psycopg

    with psycopg.connect(url) as conn:
        with pytest.raises(psycopg.Error, match="immutable"):
            conn.execute("DELETE FROM auditkit_runs")


@pytest.mark.postgres
def test_postgres_concurrent_processes_lose_nothing(pg_server, tmp_path: Path) -> None:  # noqa: ANN001
    import psycopg

    db = "auditkit_concurrency"
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    url = pg_server.dsn.rsplit("/", 1)[0] + f"/{db}"
    # Fresh database: the writers also race to create the schema.
    _concurrent_writers(url, workers=4, count=20, tmp_path=tmp_path)
    with open_store(url) as store:
        runs = store.runs()
    assert {r.run_id for r in runs} == {f"w{w}-{i}" for w in range(4) for i in range(20)}


@pytest.mark.postgres
def test_postgres_wrong_password_never_shows_it(pg_server) -> None:  # noqa: ANN001
    bad = pg_server.dsn.replace(f":{pg_server.password}@", ":Wr0ngButSecret!@")
    with pytest.raises(HistoryStoreError) as exc:
        open_store(bad)
    assert "Wr0ngButSecret!" not in str(exc.value)
    assert pg_server.password not in str(exc.value)


def test_compare_runs_reports_deltas_and_changed_areas() -> None:
    before = _record("a", password_in_head=True)
    after = _record("b", password_in_head=False)
    trend = compare_runs(before, after)
    secrets = next(d for d in trend.areas if d.id == "hardcoded_secrets")
    assert secrets.before == 0.0 and secrets.delta is not None and secrets.delta > 0
    assert {f.path for f in trend.resolved_findings} == {
        "operations/load-tests/load-test.sh",
        "operations/scripts/health.sh",
        "operations/scripts/smoke.sh",
    }
    assert not trend.new_findings and trend.warning is None
    with_probe = replace(
        record_from_report(platform_report(password_in_head=False, with_probe=True)),
        run_id="c",
        repo=after.repo,
    )
    changed = compare_runs(after, with_probe, [before])
    assert changed.measured_added == ("probe_results",)
    assert changed.warning and "probe_results" in changed.warning
    assert [p.run_id for p in changed.series] == ["a", "b", "c"]
