"""Text that must stay on one line: names, titles, subjects.

A newline in a name would end up in an email header (Django then refuses the
whole email with ``BadHeaderError``), in an .ics property or on a page, and a
control character has no business in any of them. So every entry point (the
API serializers, the booking pages, the CRM import) folds these values with
``single_line`` as they come in, and the emails fold their subjects once more
before sending.
"""

import re

from rest_framework import serializers

# C0 and C1 control characters (tab, CR and LF among them) and the Unicode line
# and paragraph separators, which mail clients and calendars also break lines at.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")


def single_line(value):
    """``value`` with every run of control characters folded into one space,
    runs of spaces collapsed and the ends stripped. None stays None."""
    if value is None:
        return None
    folded = _BREAKS.sub(" ", str(value))
    return _SPACES.sub(" ", folded).strip()


class SingleLineField(serializers.CharField):
    """A serializer ``CharField`` whose value is folded with ``single_line``;
    ``max_length`` applies to the folded value."""

    def to_internal_value(self, data):
        value = single_line(super().to_internal_value(data))
        if not value and not self.allow_blank:
            self.fail("blank")
        return value
