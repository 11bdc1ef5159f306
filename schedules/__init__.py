"""Declarative crawl and export schedules run by `feedarchiver daemon` (APScheduler 3)."""
