"""Spiders: one per source kind (generic kinds are configured as data) and one file per dedicated source."""
