"""The daemon job store's Alembic script directory (APScheduler 3's SQLAlchemyJobStore table, whose
name is the setting schedule_store_table). Driven from schedules/store.py; no alembic.ini."""
