"""The index's Alembic script directory: env.py, versions/ (one module per revision) and the frozen
baseline (baseline.py). Driven from crawler/index/migrate.py; no alembic.ini."""
