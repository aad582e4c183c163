"""JSON Schemas of this feature's manifest sections (``<name>.section.schema.json``)."""
