"""`ascc.lang.errors`, under the name the runtime, generated modules and older code import it by: the same module
object, so a name set on one is set on the other."""

import sys

from ascc.lang import errors

sys.modules[__name__] = errors
