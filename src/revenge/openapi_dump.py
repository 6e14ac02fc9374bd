"""Write the OpenAPI document to a file (the web UI's typed client is generated from it).

usage: python -m revenge.openapi_dump [PATH]   (default: web/src/lib/api/openapi.json)
No database is needed: the schema comes from the routes alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from revenge.main import create_app

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "web" / "src" / "lib" / "api" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    return create_app(manage_database=False, run_workers=False).openapi()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else DEFAULT_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render())
    print(f"openapi: wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
