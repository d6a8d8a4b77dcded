"""Configuration: the shared source catalogue and the per-deployment settings."""

from monitor.config.errors import ConfigError
from monitor.config.settings import Channel, Settings, Subscription, load_settings
from monitor.config.sources import Source, load_sources

__all__ = ["Channel", "ConfigError", "Settings", "Source", "Subscription", "load_settings", "load_sources"]
