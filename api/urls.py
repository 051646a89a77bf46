"""REST API routes: /api/v1/ resources, the OpenAPI schema and its browsable docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("identity-providers", views.IdentityProviderViewSet, basename="identity-provider")
router.register("audit-log", views.AuditEntryViewSet, basename="audit-entry")
router.register("directory-users", views.DirectoryUserViewSet, basename="directory-user")
router.register("directory-groups", views.DirectoryGroupViewSet, basename="directory-group")

urlpatterns = [
    path("api/v1/", include((router.urls, "api"), namespace="api")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[AllowAny]),
        name="api-docs",
    ),
    # Any other path under /api/ gets a problem-details 404 instead of Django's HTML page.
    re_path(r"^api/", views.unknown_endpoint, name="api-unknown"),
]
