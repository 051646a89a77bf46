"""Links between directory users and the Django users that hold their sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from directory.models import DirectoryUser
from identity_providers.models import IdentityProvider
from workspaces.models import Workspace


class SignInAccount(models.Model):
    """The Django user that a directory user signs in as.

    `directory_user` has no database constraint and is not cascaded: when
    SCIM deletes a directory user, `directory.services.user_deactivated` is
    sent after the row is gone, and this link is how the sign-in app finds
    the sessions to end. The receiver then deletes the link.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signin_account")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(IdentityProvider, null=True, on_delete=models.SET_NULL, related_name="+")
    directory_user = models.OneToOneField(
        DirectoryUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} -> directory user {self.directory_user_id}"


class SignInSession(models.Model):
    """A session created by an Azure AD sign-in, kept so that it can be ended when SCIM disables the user."""

    account = models.ForeignKey(SignInAccount, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of {self.account.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
