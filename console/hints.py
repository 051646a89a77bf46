"""What an administrator can do about a failed SCIM request, by SCIM error type and HTTP status."""

from __future__ import annotations

from scim.models import ProvisioningLogEntry

HINTS_BY_SCIM_TYPE = {
    "uniqueness": "Another user of the workspace already has this userName. Look for a duplicate user in Azure, "
    "or delete the stale user from the Users page, then restart provisioning in Azure.",
    "invalidValue": "Azure sent a value that p81 does not accept. Check the attribute mapping named in the error "
    "under Provisioning > Mappings in the Azure portal, then use Provision on demand to retry the user.",
    "invalidSyntax": "The request body was not valid SCIM JSON. Check custom attribute mappings and expressions in "
    "Azure (Provisioning > Mappings); Azure's default mappings do not cause this.",
    "invalidFilter": "Azure used a filter that p81 cannot evaluate. Check that the matching attribute under "
    "Provisioning > Mappings is userName or externalId.",
    "invalidPath": "A PATCH request named an attribute that p81 does not have. Remove or fix the mapping of that "
    "attribute under Provisioning > Mappings.",
    "mutability": "Azure tried to change a read-only attribute such as id. Remove the mapping that targets it.",
    "noTarget": "A PATCH request matched nothing to change. This is usually harmless; if the user looks wrong, "
    "use Provision on demand in Azure to send the whole user again.",
    "tooMany": "Azure asked for more users than p81 returns at once. Azure pages its requests by itself; if this "
    "repeats, report it with the time of the request.",
}

HINTS_BY_STATUS = {
    401: "The bearer token was missing, wrong or revoked. Generate a new token on the SCIM page and paste it into "
    "Secret Token under Provisioning > Admin Credentials in Azure, then select Test Connection.",
    403: "The request was refused for this workspace. Check the Tenant URL in Azure: it must be the SCIM base URL "
    "shown on the SCIM page.",
    404: "The user or endpoint does not exist in p81. Azure creates missing users again on its next cycle; if the "
    "Tenant URL is wrong, copy it again from the SCIM page.",
    405: "Azure used a method that this endpoint does not support. Check that the Tenant URL ends with the "
    "workspace's SCIM base URL and nothing after it.",
    409: HINTS_BY_SCIM_TYPE["uniqueness"],
    413: "The request was larger than p81 accepts. Reduce the number of attributes or group members mapped in Azure.",
    415: "The request did not have a JSON body. Check that the Tenant URL points at p81's SCIM base URL.",
    501: "Azure used a SCIM feature that p81 does not offer, such as Groups. Turn off group provisioning under "
    "Provisioning > Mappings in Azure.",
}

SERVER_ERROR_HINT = (
    "p81 failed to handle this request. Azure retries it on its next cycle; if it keeps failing, report the time "
    "of the request and the operation to your p81 operator."
)
GENERIC_HINT = "Read the error above, fix the value in Azure, then use Provision on demand to retry the user."


def failure_hint(entry: ProvisioningLogEntry) -> str:
    """Return what to do about a failed request, or "" for a successful one."""
    if entry.succeeded:
        return ""
    if entry.scim_type in HINTS_BY_SCIM_TYPE:
        return HINTS_BY_SCIM_TYPE[entry.scim_type]
    if entry.status >= 500 and entry.status != 501:
        return SERVER_ERROR_HINT
    return HINTS_BY_STATUS.get(entry.status, GENERIC_HINT)
