"""Login through the province's OpenID Connect provider: both routes are public (the button starts
a login; the callback logs in no one unless it answers a login this browser started); without
OIDC_ISSUER both answer 404."""

EXPECTED = {
    "auth.sso.oidc_start": "public",
    "auth.sso.oidc_callback": "public",
}
