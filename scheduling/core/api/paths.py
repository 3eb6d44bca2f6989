"""Which request paths belong to an API (JSON answers, API limits), in one place.

The API roots are ``/v4``, ``/api`` (the workspace contacts API, whose errors are
``{"error": "<message>"}``) and meetergo's root paths ``/crm`` and ``/webhooks``;
every other path is a page (a user's booking page may be ``/crmteam``).
"""

API_ROOTS = frozenset({"v4", "api", "crm", "webhooks"})
WORKSPACE_ROOT = "api"


def _root(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""


def is_api_path(path: str) -> bool:
    """``/crm`` and ``/crm/...``, but not ``/crmteam``."""
    return _root(path) in API_ROOTS


def is_workspace_path(path: str) -> bool:
    """The workspace contacts API, which answers errors as ``{"error": ...}``."""
    return _root(path) == WORKSPACE_ROOT
