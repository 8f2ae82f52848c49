"""``simdt.sweep(...)``, ``simdt.plan(...)``, ``simdt.report(...)``: the API's verbs share their names with the
modules that hold them, and importing a submodule rebinds the package attribute to the module. So the module
itself is made callable, calling its verb; ``simdt.sweep.parse_grid`` and the like keep working."""
from __future__ import annotations

import sys
import types


def make_callable(module_name: str, func) -> None:
    module = sys.modules[module_name]

    class CallableModule(types.ModuleType):
        def __call__(self, *args, **kwargs):
            return func(*args, **kwargs)

    module.__class__ = CallableModule
