"""The spec language's types live in `ascc.lang.types`, shared with the runtime; this name stays for the compiler's
modules (`from ascc.compiler import types as T`)."""

from ascc.lang.types import *  # noqa: F401,F403
