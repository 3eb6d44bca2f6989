"""Routes of the workspace contacts API (included under /api/ from config/urls.py)."""

from django.urls import path

from .workspace import ContactDetailView, ContactEventsView, ContactListView

urlpatterns = [
    path("workspaces/<int:workspace_id>/contacts", ContactListView.as_view(),
         name="workspace-contacts"),
    path("workspaces/<int:workspace_id>/contacts/<int:contact_id>", ContactDetailView.as_view(),
         name="workspace-contact"),
    path("workspaces/<int:workspace_id>/contacts/<int:contact_id>/events",
         ContactEventsView.as_view(), name="workspace-contact-events"),
]
