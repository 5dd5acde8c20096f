"""Connection-string masking shared by the history store and the PostgreSQL probe."""

from __future__ import annotations

import pytest

from auditkit.dsn import conninfo_pairs, dsn_has_password, mask_dsn

PW = "PlantPw_Zz9"


@pytest.mark.parametrize(
    ("dsn", "kept"),
    [
        (f"postgresql://app:{PW}@127.0.0.1:5432/db", "postgresql://app:***@127.0.0.1:5432/db"),
        (f"postgresql://app@127.0.0.1:1/db?password={PW}", "postgresql://app@127.0.0.1:1/db?password=***"),
        (f"postgresql://h/db?sslmode=require&password={PW}&x=1", "postgresql://h/db?sslmode=require&password=***&x=1"),
        (f"postgres://app:Pl@nt/{PW}@host/db", "postgres://app:***@host/db"),
        (f"postgres://app:a:b?c#{PW}@host/db", "postgres://app:***@host/db"),
        (f"postgresql://h/db?sslpassword={PW}", "postgresql://h/db?sslpassword=***"),
        (f"host=h user=app password={PW} dbname=db", "host=h user=app password=*** dbname=db"),
        (f"host=h password = '{PW} with \\' quote' dbname=db", "host=h password = *** dbname=db"),
        (f"host=h password='{PW}", "host=h password=***"),
    ],
)
def test_every_password_form_is_masked(dsn: str, kept: str) -> None:
    assert mask_dsn(dsn) == kept
    assert PW not in mask_dsn(dsn)


def test_a_password_quoted_inside_a_message_is_masked() -> None:
    url = f"postgresql://app:{PW}%zz@127.0.0.1/db"
    message = f'connection failed: "{url}" then invalid percent-encoded token: "{PW}%zz"'
    masked = mask_dsn(message, source=url)
    assert PW not in masked
    assert "127.0.0.1/db" in masked


def test_text_without_a_password_is_unchanged() -> None:
    for text in (
        "postgresql://app@127.0.0.1:5432/db?sslmode=require",
        "postgresql://h/db?application_name=me@work",
        "host=h user=app dbname=db",
        "password authentication failed for user app",
    ):
        assert mask_dsn(text) == text


def test_has_password_in_each_form() -> None:
    assert dsn_has_password("postgresql://app:x@h/db")
    assert dsn_has_password("postgresql://app@h/db?password=x")
    assert dsn_has_password("postgres://app:Pl@nt/x@h/db")
    assert dsn_has_password("host=h password='x y'")
    assert not dsn_has_password("postgresql://app@h/db?sslpassword=x")
    assert not dsn_has_password("postgresql://app@h/db")
    assert not dsn_has_password("host=h user=app")
    assert conninfo_pairs("Host=h password='a \\' b'") == {"host": "h", "password": "a ' b"}
