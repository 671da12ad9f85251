"""Portal: a customer self-service portal for CRM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("portal")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
