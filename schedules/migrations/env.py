"""Alembic's environment for the job store: schedules/store.py passes the connection and the table."""

from __future__ import annotations

from alembic import context

from crawler.index.migrate import run_env

run_env(context)
