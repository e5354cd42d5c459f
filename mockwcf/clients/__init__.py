"""Client helpers for talking to a WCF service (and so to mockwcf); see docs/recipes.md."""
