"""Error reports that never show secrets, whatever DEBUG is.

Django's default filter hides local variables only in functions marked
with `sensitive_variables`, and only when DEBUG is off. Third-party code
on the sign-in path (social-core, msal) keeps the client secret, tokens
and PKCE verifiers in local variables that p81 cannot mark, so this filter
masks every local variable, in every frame, whose name looks like a
secret, and does so with DEBUG on as well.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

SECRET_NAME = re.compile(
    r"secret|token|password|passwd|credential|verifier|authorization|cookie|api_?key|private", re.IGNORECASE
)


class SecretMaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Mask secret-looking settings and local variables in error pages and error emails."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|ENCRYPTION|CREDENTIAL", flags=re.IGNORECASE
    )

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list[tuple[str, Any]]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        masked = []
        for name, value in variables:
            if SECRET_NAME.search(name):
                masked.append((name, self.cleansed_substitute))
            elif isinstance(value, dict):
                masked.append((name, self.cleanse_setting(name, value)))
            else:
                masked.append((name, value))
        return masked
