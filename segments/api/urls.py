from django.urls import path

from segments.api import views

urlpatterns = [
    path("accounts/<int:account_id>/zone-history/", views.ZoneHistoryView.as_view(), name="account-zone-history"),
]
