"""SCIM 2.0 routes, one base URL per workspace."""

urlpatterns: list = []
