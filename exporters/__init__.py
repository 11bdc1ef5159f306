"""Exporters: turn the index into published documents (Atom now; JSON Feed, RSS and Hexo later)."""
