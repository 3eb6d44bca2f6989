"""SQLite is tuned the same whether it is the embedded default or named by a URL."""

from config.settings import SQLITE_OPTIONS, env_database


def test_sqlite_from_a_url_is_tuned_like_the_embedded_default(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    embedded = env_database("DATABASE_URL", tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/other.sqlite3")
    from_url = env_database("DATABASE_URL", tmp_path)
    assert embedded["OPTIONS"] == from_url["OPTIONS"] == SQLITE_OPTIONS
    assert str(from_url["NAME"]) == f"{tmp_path}/other.sqlite3"


def test_postgresql_from_a_url_keeps_its_connections(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://termin@db.invalid:5432/termin")
    database = env_database("DATABASE_URL", tmp_path)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60 and "OPTIONS" not in database
