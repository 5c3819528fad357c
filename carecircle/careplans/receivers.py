"""Signal receivers (filled below)."""
