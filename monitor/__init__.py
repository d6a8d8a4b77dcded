"""cgt-monitor: watches Chinese regulators' notice pages for cell and gene therapy news."""

__version__ = "0.1.0"
