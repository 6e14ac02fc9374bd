import asyncio, os
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata
from pathlib import Path
from revenge.core.db import start_embedded_postgres, to_sqlalchemy_url, Base
from revenge.core.migrate import upgrade
import revenge.all_models  # noqa

async def main():
    server = to_sqlalchemy_url(start_embedded_postgres(Path(".pytest-pg"), "postgres"))
    name = "cmp_notif"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as c:
        await c.execute(text(f'DROP DATABASE IF EXISTS "{name}"')); await c.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, q = server.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{q}" if q else "")
    eng = create_async_engine(url)
    await upgrade(eng)
    def cmp(conn):
        ctx = MigrationContext.configure(conn, opts={"include_schemas": True, "compare_type": True})
        for d in compare_metadata(ctx, Base.metadata):
            s = str(d)
            if "notification" in s or "push_devices" in s:
                print(s[:300])
    async with eng.connect() as c:
        await c.run_sync(cmp)
    await eng.dispose()
    async with admin.connect() as c:
        await c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
asyncio.run(main())
