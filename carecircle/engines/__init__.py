"""Pure-Python business engines (no Django import): scoring, routing, geometry."""
