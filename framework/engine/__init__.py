"""How a Gold table is hydrated: read the window, map, deduplicate, validate, diff, MERGE, audit,
advance the state. Imports metadata and platform; never the surfaces."""
