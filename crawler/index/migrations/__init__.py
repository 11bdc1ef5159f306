"""The index's Alembic script directory: env.py, versions/ (one module per revision) and the frozen
baseline (baseline.py). Driven from crawler/index/migrate.py; no alembic.ini.

A schema change is a change to crawler/index/schema.py and a new revision here, written against an
index at head::

    from alembic import command
    from crawler.index.migrate import INDEX_SCRIPTS, alembic_config
    from crawler.index.schema import metadata

    config = alembic_config(INDEX_SCRIPTS, target_metadata=metadata)
    config.set_main_option("sqlalchemy.url", "sqlite:///data/index.sqlite3")
    command.revision(config, message="what changed", autogenerate=True, rev_id="0002")

tests/test_migrations.py checks that the revisions build exactly the tables schema.py declares.
"""
