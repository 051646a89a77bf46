"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("scim/v2/", include("scim.urls")),
    path("django-admin/", admin.site.urls),
]
