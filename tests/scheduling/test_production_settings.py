"""Production settings: no start without a real secret key, the production environment
of docs/operations.md passes ``check --deploy``, and the quick start keeps a key of its own.

Settings are read once per process, so each case runs Django in a subprocess with
a copy of this environment stripped of everything these settings read. Without
``DATABASE_URL`` it uses SQLite in a temporary ``TERMIN_VAR_DIR``: nothing to reach.
"""

import os
import re
import secrets
import stat
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.slow

OLD_DEFAULT_KEY = "insecure-default-key-set-SECRET_KEY-in-production"
READ_BY_SETTINGS = {
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
}


def clean_env(var_dir, **env: str) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items()
            if name not in READ_BY_SETTINGS and not name.startswith("SECURE_")}
    return {**base, "TERMIN_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings",
            **env}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def documented_production_env() -> dict[str, str]:
    """The ``VAR=value`` lines of the first code block under "## Production" in
    docs/operations.md."""
    section = (ROOT / "docs/operations.md").read_text().split("\n## Production\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return dict(line.split("=", 1) for line in block.splitlines() if line.strip())


def production_env(var_dir) -> dict[str, str]:
    """The documented environment with a real key, and no database or Redis server
    (SQLite in ``var_dir``): ``check`` needs neither, and they name other hosts."""
    env = documented_production_env()
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name)
    return clean_env(var_dir, **{**env, "SECRET_KEY": secrets.token_urlsafe(50)})


@pytest.mark.parametrize("key", [None, OLD_DEFAULT_KEY, secrets.token_urlsafe(15)],
                         ids=["missing", "old-default", "20-characters"])
def test_with_debug_off_termin_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    env = clean_env(tmp_path, DEBUG="false", **({"SECRET_KEY": key} if key else {}))
    result = run(env, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in output(result)
    assert "token_urlsafe(50)" in output(result)  # how to make one


def test_with_debug_on_a_development_key_will_do(tmp_path):
    result = run(clean_env(tmp_path, DEBUG="true"), "manage.py", "check")
    assert result.returncode == 0, output(result)


def test_the_documented_production_environment_passes_the_deploy_check(tmp_path):
    result = run(production_env(tmp_path), "manage.py", "check", "--deploy")
    assert result.returncode == 0, output(result)
    assert re.findall(r"\((\w+\.[WE]\d+)\)", output(result)) == []
    assert "System check identified no issues" in output(result)


def test_the_documented_placeholder_key_is_refused(tmp_path):
    env = {**production_env(tmp_path), "SECRET_KEY": documented_production_env()["SECRET_KEY"]}
    result = run(env, "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in output(result)


SHOW_SECURITY = (
    "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
    "s.SECURE_PROXY_SSL_HEADER)"
)


def test_with_debug_off_https_is_the_default_and_the_proxy_header_is_not_trusted(tmp_path):
    result = run(clean_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50)), "-c", SHOW_SECURITY)
    assert result.stdout.split() == ["True", "True", "True", "0", "None"], output(result)


def test_the_proxy_header_is_trusted_once_named(tmp_path):
    env = clean_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50),
                    SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    result = run(env, "-c", SHOW_SECURITY)
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout, output(result)


def test_the_quick_start_makes_its_key_once_and_keeps_it_private(tmp_path):
    env = clean_env(tmp_path)
    first = subprocess.run(["./bin/secret-key"], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    again = subprocess.run(["./bin/secret-key"], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert first == again
    assert len(first) >= 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) & 0o077 == 0
    result = run(clean_env(tmp_path, SECRET_KEY=first), "manage.py", "check")
    assert result.returncode == 0, output(result)
