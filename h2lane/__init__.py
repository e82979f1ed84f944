"""h2lane: plan and operate zero-carbon hydrogen truck logistics.

The package follows the chain one way: ``scenario`` (what exists) → ``roads``
(where it is) → ``routing`` (plans) → later simulation, accounting and the
operations service.
"""

__version__ = "0.1.0"

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""Credit required by the ODbL for every map and output drawn from road data."""
