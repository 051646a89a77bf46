"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from p81.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("scim/v2/", include("scim.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("console.urls")),
    path("", include("api.urls")),
]
