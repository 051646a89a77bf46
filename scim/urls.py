"""SCIM 2.0 routes. Each workspace has one base URL: /scim/v2/<workspace-slug>.

Trailing slashes are optional because SCIM clients differ in how they join
the base URL and the endpoint.
"""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import group_views, views

app_name = "scim"

WORKSPACE = r"^(?P<workspace_slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("<slug:workspace_slug>", views.UnknownEndpointView.as_view(), name="root"),
    re_path(WORKSPACE + r"/Users/?$", views.UsersView.as_view(), name="users"),
    re_path(WORKSPACE + r"/Users/\.search/?$", views.UserSearchView.as_view(), name="users-search"),
    re_path(WORKSPACE + r"/Users/(?P<user_id>[^/]+)/?$", views.UserView.as_view(), name="user"),
    re_path(WORKSPACE + r"/Groups/?$", group_views.GroupsView.as_view(), name="groups"),
    re_path(WORKSPACE + r"/Groups/\.search/?$", group_views.GroupSearchView.as_view(), name="groups-search"),
    re_path(WORKSPACE + r"/Groups/(?P<group_id>[^/]+)/?$", group_views.GroupView.as_view(), name="group"),
    re_path(WORKSPACE + r"/\.search/?$", group_views.RootSearchView.as_view(), name="search"),
    re_path(WORKSPACE + r"/ServiceProviderConfig/?$", views.ServiceProviderConfigView.as_view(), name="config"),
    re_path(WORKSPACE + r"/ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(
        WORKSPACE + r"/ResourceTypes/(?P<type_id>[^/]+)/?$", views.ResourceTypesView.as_view(), name="resource-type"
    ),
    re_path(WORKSPACE + r"/Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(WORKSPACE + r"/Schemas/(?P<schema_id>[^/]+)/?$", views.SchemasView.as_view(), name="schema"),
    re_path(WORKSPACE + r"(?:/.*)?$", views.UnknownEndpointView.as_view(), name="unknown"),
    re_path(r"^.*$", csrf_exempt(views.not_found), name="not-found"),
]
