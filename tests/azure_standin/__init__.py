"""A loopback stand-in for Azure AD (Microsoft Entra ID) and Microsoft Graph, for tests.

`server.AzureStandIn` serves OpenID discovery, JWKS, the authorize, token and
end-session endpoints and the Graph calls that p81 makes, over HTTPS on
127.0.0.1 with a certificate from a throwaway CA. `fixtures.azure_standin`
starts one per test and points `REQUESTS_CA_BUNDLE` at that CA.
"""
