"""Routes of this app's API (included from config/urls.py)."""

urlpatterns: list = []
