"""End-user sign-in with Azure AD over OpenID Connect.

`backend.AzureADSignInBackend` is the one social-auth backend for every
identity provider. `pipeline` decides who may sign in. `views` contains the
email form, the callback and sign-out. `refusals` renders every refused
sign-in with its stable code.
"""
