"""Cross-cutting mechanisms every domain app uses: isolation, audit, sensitive data, policy parameters."""
