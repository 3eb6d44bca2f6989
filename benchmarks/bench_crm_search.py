"""Contact search at a million contacts: GET /v4/crm?searchTerm=... with and without
the trigram index.

Loads 1,000,000 contacts into one company on PostgreSQL with COPY (once: a later
run reuses them unless --reload), then requests the list through Django's test
client, as an API client would (API key, rate limit off), and prints the median
and 95th percentile per kind of term: selective ones (a surname fragment, an
email fragment, the last 4 digits of a phone) and unselective 3-letter ones.
It then drops the trigram index inside a transaction, repeats the same requests
and rolls the drop back, so both figures come from the same run and data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/termin_bench_crm \\
        .venv/bin/python benchmarks/bench_crm_search.py [--contacts N] [--reload]

The database is created (and migrated) when it does not exist. Not a test: it
prints figures and asserts nothing.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.common import create_database as _create_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["API_RATE_LIMIT"] = "0"  # measure search, not the limiter


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COMPANY_SLUG = "bench-crm"
TRIGRAM_INDEX = "crm_contact_search_trgm"
FIRST_NAMES = _words(
    "Anna Ben Clara David Emma Felix Greta Hannah Ida Jonas Karl Lena Marie Noah Olga Paul "
    "Quentin Rosa Simon Tara Ulla Viktor Wanda Xaver Yara Zoe Aaron Bianca Carlos Dana Elif "
    "Fatima Georg Hugo Ines Jan Kemal Lara Mehmet Nina Oskar Petra Rainer Sofia Tim Ute "
    "Vera Walter Yusuf Alice Bob Charlie Mia Leon Luca Amelie Emil Mats Nele Theo Frieda"
)
SYLLABLES = (
    _words("Ba Be Bo Da De Do Fa Fe Ga Ha He Ka Ke Ko La Le Lo Ma Me Mo Na Ne Pa Pe Ra Re Sa Se "
           "Ta To"),
    _words("ber ck dor fel gan hin kel lin mar nus per rin sch ster tal ven wig zen bran dol "
           "kow mil nor ost rud sel tem vor wal"),
    _words("mann son ski er ing berg ow ez ini ard heim ley ton feld au ke ler ich ova ens"),
)
DOMAINS = [f"firm{n}.example" for n in range(2000)] + ["gmail.com", "web.de", "outlook.com"]
UNSELECTIVE = ["son", "mar", "ber", "ann", "lin"]
PER_TERM = 10  # requests per term and mode (after one warm-up request)


def setup_django(database_url: str) -> None:
    _create_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    call_command("migrate", verbosity=0)
    # The timed requests share one connection (and, without the index, one
    # transaction), so Django must not close it between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def company_and_token():
    from scheduling.models import Company, Membership
    from scheduling.services.api_keys import api_key_create
    from scheduling.services.tenancy import company_create

    company = Company.objects.filter(slug=COMPANY_SLUG).first()
    if company is None:
        company, _ = company_create(name="Bench CRM", owner_email="owner@bench-crm.example",
                                    slug=COMPANY_SLUG)
    owner = Membership.objects.filter(company=company, role="owner").first()
    _, token = api_key_create(company=company, created_by=owner.user, name="benchmark")
    return company, token


def fake_rows(company_id: int, count: int, rng: random.Random):
    from crm.models import contact_search_text

    now = dt.datetime.now(dt.UTC)
    for n in range(count):
        first = rng.choice(FIRST_NAMES)
        last = "".join(rng.choice(part) for part in SYLLABLES)
        email = f"{first.lower()}.{last.lower()}{n}@{rng.choice(DOMAINS)}"
        phone = f"+49{rng.randrange(10**9, 10**11)}"
        created = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        yield (uuid.UUID(int=rng.getrandbits(128), version=4), company_id, first, last, email,
               phone, "", "{}", 0, 0, None, contact_search_text(first, last, email, phone),
               created, created)


def load(company, count: int) -> None:
    from django.db import connection

    columns = ("uuid, company_id, first_name, last_name, email, phone_number, notes, "
               "additional_data, no_show_count, event_count, last_seen_at, search_text, "
               "created_at, updated_at")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("crm_contacttag", "crm_contactevent", "crm_contact"):
            cursor.execute(f"DELETE FROM {table} WHERE company_id = %s", [company.pk])
        # Building the GIN index once after the load is far faster than updating it per row.
        cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
        with cursor.connection.cursor().copy(f"COPY crm_contact ({columns}) FROM STDIN") as copy:
            for row in fake_rows(company.pk, count, random.Random(42)):
                copy.write_row(row)
        loaded = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON crm_contact USING gin (search_text gin_trgm_ops)"
        )
        cursor.execute("VACUUM ANALYZE crm_contact")
    print(f"loaded {count:,} contacts in {loaded - started:.0f} s, "
          f"trigram index built in {time.perf_counter() - loaded:.0f} s")


def pick_terms(company) -> dict[str, list[str]]:
    from crm.models import Contact

    sample = list(Contact.objects.filter(company=company).order_by("?")
                  .values_list("last_name", "email", "phone_number")[:5])
    return {
        "surname fragment": [last[1:-1].lower() for last, _, _ in sample],
        "email fragment": [email.split("@")[0][-9:] for _, email, _ in sample],
        "phone last 4": [phone[-4:] for _, _, phone in sample],
        "3-letter (unselective)": UNSELECTIVE,
    }


def time_terms(client, terms: dict[str, list[str]], per_term: int) -> dict[str, dict]:
    results = {}
    for kind, values in terms.items():
        samples, totals = [], []
        for term in values:
            response = client.get("/v4/crm", {"searchTerm": term})  # warm-up
            assert response.status_code == 200, response.content
            totals.append(response.json()["total"])
            for _ in range(per_term):
                started = time.perf_counter()
                response = client.get("/v4/crm", {"searchTerm": term})
                samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        results[kind] = {
            "median": statistics.median(samples),
            "p95": samples[max(0, round(0.95 * len(samples)) - 1)],
            "matches": f"{min(totals):,}-{max(totals):,}",
            "n": len(samples),
        }
    return results


def without_trigram_index(client, terms, per_term):
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {TRIGRAM_INDEX}")  # undone by the rollback below
        try:
            return time_terms(client, terms, per_term)
        finally:
            transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--reload", action="store_true", help="reload even if already loaded")
    parser.add_argument("--per-term", type=int, default=PER_TERM)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. .../termin_bench_crm")
    setup_django(os.environ["DATABASE_URL"])

    from django.test import Client

    from crm.models import Contact

    company, token = company_and_token()
    if args.reload or Contact.objects.filter(company=company).count() != args.contacts:
        load(company, args.contacts)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    terms = pick_terms(company)
    with_index = time_terms(client, terms, args.per_term)
    without_index = without_trigram_index(client, terms, args.per_term)

    print(f"\nGET /v4/crm?searchTerm=... over {args.contacts:,} contacts "
          f"({args.per_term} requests per term, 5 terms per kind)")
    print(f"{'term kind':<24}{'matches':>14}{'median ms':>11}{'p95 ms':>9}"
          f"{'no-index median':>17}{'no-index p95':>14}{'speed-up p95':>14}")
    for kind in terms:
        a, b = with_index[kind], without_index[kind]
        print(f"{kind:<24}{a['matches']:>14}{a['median']:>11.1f}{a['p95']:>9.1f}"
              f"{b['median']:>17.1f}{b['p95']:>14.1f}{b['p95'] / a['p95']:>13.0f}x")


if __name__ == "__main__":
    main()
