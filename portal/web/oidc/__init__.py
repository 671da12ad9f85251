"""Sign in with OAuth 2.0 / OpenID Connect providers, and the page where users link and unlink them."""
