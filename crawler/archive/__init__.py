"""The web archive: WARC writing and reading, CDXJ, WACZ, uploads, snapshots and verify."""
