"""The registry across releases: many build outputs and one log, published as one site."""
