"""Everything HTTP: the published feeds, media, snapshots and /health (feedarchiver serve)."""
