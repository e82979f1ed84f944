"""Self-contained HTML maps on the dashboard's map component (Leaflet + ``h2map.js``).

Leaflet is read from ``h2lane/ops/web/node_modules`` (installed by ``npm ci``; see
``scripts/web-deps.sh``) and inlined with the component, the data and the basemap drawn from
the bundled road graph, so the file works alone and offline. Without node_modules (a pip
install without npm) :func:`assets` is None and the callers draw their SVG map instead, with
:data:`FALLBACK_NOTICE` in the page.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from h2lane import OSM_ATTRIBUTION
from h2lane.app.outputs import write_text

FALLBACK_NOTICE = (
    "Static map: the interactive map needs Leaflet, which is not installed here (run npm ci in "
    "h2lane/ops/web, as scripts/demo.sh does)."
)


def web_dir() -> Path:
    return Path(str(resources.files("h2lane.ops") / "web"))


@lru_cache(maxsize=1)
def assets() -> tuple[str, str] | None:
    """``(javascript, css)`` of Leaflet and the map component, or None without node_modules."""
    web = web_dir()
    dist = web / "node_modules" / "leaflet" / "dist"
    try:
        js = (dist / "leaflet.js").read_text(encoding="utf-8")
        css = (dist / "leaflet.css").read_text(encoding="utf-8")
        own_js = (web / "static" / "h2map.js").read_text(encoding="utf-8")
        own_css = (web / "static" / "h2map.css").read_text(encoding="utf-8")
    except OSError:
        return None
    css = re.sub(r"url\(images/[^)]*\)", "none", css)  # default icons and layer images: unused
    script = (js + "\n" + own_js).replace("</script", "<\\/script")
    return script, css + "\n" + own_css


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def render(
    path: str | Path,
    title: str,
    data: dict[str, Any],
    *,
    summary: list[tuple[str, str]] | None = None,
    legend_html: str = "",
    option: str = "--map",
) -> Path | None:
    """Write the map of ``data`` (the options of ``H2Map.create``); None without Leaflet."""
    found = assets()
    if found is None:
        return None
    script, css = found
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary or []
    )
    doc = _TEMPLATE.format(
        title=html.escape(title),
        css=css,
        script=script,
        data=_json(data),
        rows=rows,
        legend=legend_html,
        attribution=html.escape(OSM_ATTRIBUTION),
    )
    out = Path(path)
    write_text(out, doc, option)
    return out


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}
html,body{{margin:0;height:100%;font-family:system-ui,sans-serif;color:#1f2328;background:#f6f8fa}}
body{{display:flex;flex-direction:column}}
header{{padding:8px 14px;background:#fff;border-bottom:1px solid #d0d7de;max-height:40vh;overflow:auto}}
h1{{font-size:17px;margin:0 0 4px}} table{{border-collapse:collapse;font-size:13px}}
th{{text-align:left;padding:1px 12px 1px 0;color:#57606a;font-weight:500;vertical-align:top}} td{{padding:1px 16px 1px 0}}
.legend{{font-size:12px;color:#57606a;margin-top:4px}} .legend i{{display:inline-block;width:16px;height:5px;margin:0 4px 2px 10px;vertical-align:middle}}
.legend b{{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}} .legend span{{margin-right:8px}}
#map{{flex:1 1 auto;min-height:320px}}
</style></head><body>
<header><h1>{title}</h1><table>{rows}</table><div class="legend">{legend}</div></header>
<div id="map" class="h2-map" aria-label="map"></div>
<noscript>This map needs JavaScript. Road data {attribution} (ODbL 1.0).</noscript>
<script>
{script}
</script>
<script>
(function(){{var d={data};var m=H2Map.create(document.getElementById('map'),d);m.fit();window.h2map=m;}})();
</script>
</body></html>
"""
