"""Domain logic of the Satu Data pipeline, in plain Python: sources, parsing, the standard, checks,
warehouse and publishing. The Dagster layer in `assets/` only wires these together."""
