"""The platform layer every app uses: errors, time, phones, one-line text, lookups
by UUID, who a request acts for (``access``), credentials, the staff admin's
company scoping, outbound HTTP with its address guard, the one helper for hand-written
``INSERT ... RETURNING`` (``sql``), and the API's base classes (``core.api``).

It depends on nothing of the project but ``scheduling.models`` and
``scheduling.choices``; the import contracts in ``pyproject.toml`` hold it there,
and hold ``webhooks`` to this layer and the models.
"""
