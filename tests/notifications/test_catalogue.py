"""The German catalogue: committed compiled, in step with its source, complete for
the emails, and used by the booking pages when the browser asks for German."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def po_entries(path: Path) -> dict:
    """``{key: msgstr}`` of a .po file, keyed as GNU gettext's compiled catalogue is:
    ``msgid``, ``"ctxt\\x04msgid"``, or ``(msgid, n)`` for plural forms."""
    entries, current, field = {}, {}, None

    def flush():
        if current.get("msgid"):
            key = current["msgid"]
            if "msgctxt" in current:
                key = f"{current['msgctxt']}\x04{key}"
            forms = sorted(k for k in current if k.startswith("msgstr["))
            if forms:
                for form in forms:
                    entries[(key, int(form[7:-1]))] = current[form]
            else:
                entries[key] = current.get("msgstr", "")
        current.clear()

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
        if match:
            if match.group(1) in ("msgctxt", "msgid") and "msgstr" in "".join(current):
                flush()
            field = match.group(1)
            current[field] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        elif not line.strip():
            flush()
            field = None
    return entries


def test_the_compiled_catalogue_matches_its_source():
    compiled = gettext.GNUTranslations(MO.open("rb"))._catalog
    source = po_entries(PO)
    assert len(source) > 100
    assert {k: v for k, v in compiled.items() if k != ""} == \
        {k: v for k, v in source.items() if k != ""}


def test_every_message_has_a_german_translation():
    assert [key for key, value in po_entries(PO).items() if not value] == []
    assert "#, fuzzy\n" not in PO.read_text(encoding="utf-8").split('msgid ""', 2)[-1]


def email_strings() -> list[str | tuple[str, str]]:
    """The literal messages scheduling/notifications.py passes to gettext."""
    tree = ast.parse((ROOT / "scheduling" / "notifications.py").read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id == "_" and len(args) == 1:
                found.append(args[0])
            elif node.func.id == "pgettext" and len(args) == 2:
                found.append(tuple(args))
    return found


def test_every_string_of_the_emails_is_translated_into_german():
    strings = email_strings()
    assert len(strings) > 30
    with translation.override("de"):
        untranslated = [s for s in strings
                        if (translation.pgettext(*s) if isinstance(s, tuple)
                            else translation.gettext(s)) == (s[1] if isinstance(s, tuple) else s)]
    assert untranslated == []


def test_the_pages_answer_in_german_when_the_browser_asks_for_it(client):
    german = client.get("/manage/not-a-token", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert "Dieser Link funktioniert nicht" in german.content.decode()
    english = client.get("/manage/not-a-token", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "This link does not work" in english.content.decode()
