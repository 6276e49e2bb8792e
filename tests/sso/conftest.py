from tests.sso.fixtures import oidc_provider, slapd, test_ca, use_directory, use_provider  # noqa: F401
