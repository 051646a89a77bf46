"""The user model of the stock django-scim2 peer.

django-scim2 0.23's `SCIMUser` adapter reads `scim_id`, `scim_external_id`
and `scim_username` from the user model, and `django_scim.models`
provides them as `AbstractSCIMUserMixin`. This model adds that mixin to a
`django.contrib.auth` user and nothing more. `scim_groups` is defined
because the mixin's version raises NotImplementedError, and
`SCIMUser.to_dict` reads it for every user.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django_scim.models import AbstractSCIMUserMixin


class User(AbstractSCIMUserMixin, AbstractUser):
    """A `django.contrib.auth` user with django-scim2's SCIM id columns."""

    @property
    def scim_groups(self):
        return self.groups
