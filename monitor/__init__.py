"""cgt-monitor: watches Chinese regulators' notice pages for cell and gene therapy news."""

import os
import sys

# httpx imports its own command-line client whenever Rich and Pygments are installed (they are: Typer's),
# and with it Rich's syntax highlighter and Pygments' lexer tables, ~25 modules this package never uses.
# httpx expects that import to fail without them; a None entry makes it fail.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not importable"

# pydantic looks for plugins among every installed distribution's entry points when it builds its first model
# (~25 ms at each start); this package uses none. A deployment that wants one sets the variable itself.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

__version__ = "0.1.0"
