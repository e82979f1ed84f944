"""Transitional re-export of the ``h2lane emissions`` command (now ``h2lane/cli/emissions.py``).

While ``h2lane/cli.py`` is still a module, ``h2lane.cli.emissions`` cannot be imported by
name, so the command file is loaded from its path. Delete this module once ``h2lane/cli/`` is
a package.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

try:
    from h2lane.cli.emissions import default_distance_oracle, emissions, register_distance_oracle
except ImportError:  # h2lane.cli is still the old single module
    _NAME = "h2lane._cli_emissions"
    if _NAME not in sys.modules:
        _path = Path(__file__).resolve().parents[1] / "cli" / "emissions.py"
        _spec = importlib.util.spec_from_file_location(_NAME, _path)
        assert _spec is not None and _spec.loader is not None
        _module = importlib.util.module_from_spec(_spec)
        sys.modules[_NAME] = _module
        _spec.loader.exec_module(_module)
    _mod = sys.modules[_NAME]
    default_distance_oracle = _mod.default_distance_oracle
    emissions = _mod.emissions
    register_distance_oracle = _mod.register_distance_oracle

__all__ = ["default_distance_oracle", "emissions", "register_distance_oracle"]
