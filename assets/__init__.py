"""The Dagster layer: assets, checks and resources built from the source catalogue. It only wires the
plain-Python stages of `pipelines` together."""
