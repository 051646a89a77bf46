"""Admin web UI routes. Provider pages are addressed by the provider's public UUID."""

from django.urls import path
from django.views.generic import RedirectView

from .views import auth, groups, providers, scim, workspace

app_name = "console"

PROVIDER = "settings/identity-providers/<uuid:public_id>/"

urlpatterns = [
    path("accounts/login/", auth.AdminLoginView.as_view(), name="login"),
    path("accounts/logout/", auth.AdminLogoutView.as_view(), name="logout"),
    path("settings/", RedirectView.as_view(pattern_name="console:provider-list"), name="settings"),
    path("settings/identity-providers/", providers.ProviderListView.as_view(), name="provider-list"),
    path("settings/identity-providers/add/", providers.ProviderTypeView.as_view(), name="provider-add"),
    path(
        "settings/identity-providers/add/azure-ad/", providers.ProviderCreateView.as_view(), name="provider-add-azure"
    ),
    path(PROVIDER, providers.ProviderDetailView.as_view(), name="provider-detail"),
    path(PROVIDER + "delete/", providers.ProviderDeleteView.as_view(), name="provider-delete"),
    path(PROVIDER + "access-groups/", providers.AccessGroupsView.as_view(), name="provider-access-groups"),
    path(PROVIDER + "test-connection/", providers.TestConnectionView.as_view(), name="provider-test-connection"),
    path(PROVIDER + "scim/", scim.ScimSettingsView.as_view(), name="provider-scim"),
    path(PROVIDER + "scim/token/", scim.ScimTokenView.as_view(), name="provider-scim-token"),
    path(PROVIDER + "provisioning-log/", scim.ProvisioningLogView.as_view(), name="provider-log"),
    path("settings/users/", workspace.UserListView.as_view(), name="users"),
    path("settings/groups/", groups.GroupListView.as_view(), name="groups"),
    path("settings/groups/<uuid:group_id>/", groups.GroupDetailView.as_view(), name="group-detail"),
    path("settings/audit-log/", workspace.AuditLogView.as_view(), name="audit-log"),
    path("settings/api-tokens/", workspace.ApiTokenListView.as_view(), name="api-tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", workspace.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
]
