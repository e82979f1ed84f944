"""The cache directory: station graphs and the ahead-of-time kernels kept between processes."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    """Where station graphs and the compiled kernels are kept between processes; ``None``
    when switched off.

    ``$H2LANE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/h2lane``, else ``~/.cache/h2lane``.
    ``H2LANE_NO_CACHE=1`` switches the disk cache off (so does having no home directory).
    """
    if os.environ.get("H2LANE_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("H2LANE_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "h2lane"
    try:
        return Path.home() / ".cache" / "h2lane"
    except (RuntimeError, KeyError):  # no home directory: nowhere to keep it
        return None
