"""Alembic's environment for the index: crawler/index/migrate.py passes the connection and options."""

from __future__ import annotations

from alembic import context

from crawler.index.migrate import run_env

run_env(context)
