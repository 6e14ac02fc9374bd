"""The web UI's typed client is generated from web/src/lib/api/openapi.json; a stale snapshot
would let the UI compile against an API that no longer exists."""

from __future__ import annotations

from revenge import openapi_dump


def test_committed_openapi_snapshot_matches_the_app():
    committed = openapi_dump.DEFAULT_PATH.read_text()
    assert committed == openapi_dump.render(), (
        "web/src/lib/api/openapi.json is stale: run `make web-api` and commit it"
    )


def test_dump_writes_the_document(tmp_path):
    target = tmp_path / "nested" / "openapi.json"
    openapi_dump.main([str(target)])
    assert '"/api/v1/users/me/history"' in target.read_text()
