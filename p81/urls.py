"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from p81.views import healthz
from scim.views import not_found as scim_not_found
from signin.urls import social_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("scim/v2", scim_not_found),
    path("scim/v2/", include("scim.urls")),
    path("django-admin/", admin.site.urls),
    # End-user sign-in: /login/, /logout/, and the Azure AD redirect URL
    # /complete/azuread-v2-tenant-oauth2/.
    path("", include("signin.urls")),
    path("", include(social_urlpatterns)),
    path("", include("console.urls")),
    path("", include("api.urls")),
]
