"""The admin app with Termin's site (``scheduling/core/adminsite.py``); listed in
``INSTALLED_APPS`` in place of ``django.contrib.admin``."""

from django.contrib.admin.apps import AdminConfig


class TerminAdminConfig(AdminConfig):
    """Every company's members sign in; each sees their own company."""

    default_site = "scheduling.core.adminsite.TerminAdminSite"
