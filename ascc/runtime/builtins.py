"""`ascc.lang.builtins`, under the name the runtime, generated modules and older code import it by: the same module
object, so a name set on one is set on the other."""

import sys

from ascc.lang import builtins

sys.modules[__name__] = builtins
