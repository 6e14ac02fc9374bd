from __future__ import annotations

import pytest


async def test_locales_listing_has_native_names_and_completeness(client):
    body = (await client.get("/api/v1/i18n/locales")).json()
    assert {(loc["code"], loc["native_name"]) for loc in body} == {
        ("en", "English"),
        ("de", "Deutsch"),
        ("es", "Español"),
        ("fr", "Français"),
    }
    assert all(loc["completeness"] == 1.0 for loc in body)


async def test_catalogue_with_etag_and_304(client):
    first = await client.get("/api/v1/i18n/de-AT")
    assert first.status_code == 200
    assert first.json()["errors"]["auth"]["forbidden"]["title"] == "Nicht erlaubt"
    etag = first.headers["etag"]
    second = await client.get("/api/v1/i18n/de", headers={"If-None-Match": etag})
    assert second.status_code == 304
    unknown = await client.get("/api/v1/i18n/xx")
    assert unknown.status_code == 404 and unknown.json()["code"] == "i18n.unknown_locale"


@pytest.mark.parametrize(
    ("accept", "title"),
    [
        ("de-AT,de;q=0.9,en;q=0.5", "Anmeldung erforderlich"),
        ("es", "Inicio de sesión necesario"),
        ("fr-CA", "Connexion requise"),
        ("en-GB", "Login required"),
        ("ja, pt;q=0.8", "Login required"),  # unsupported -> server default
        ("en;q=0.1, fr;q=0.9", "Connexion requise"),  # quality wins over order
    ],
)
async def test_errors_in_the_negotiated_language(client, accept, title):
    r = await client.get("/api/v1/users/me", headers={"Accept-Language": accept})
    assert r.status_code == 401
    assert r.json()["title"] == title
    assert r.headers["content-language"] in {"de", "es", "fr", "en"}


async def test_user_preference_beats_accept_language(client, make_user):
    _, headers = await make_user(locale="es")
    r = await client.get("/api/v1/admin/users", headers={**headers, "Accept-Language": "de"})
    assert r.status_code == 403
    assert r.json()["title"] == "Solo administradores"


@pytest.mark.parametrize(
    ("accept", "detail", "message"),
    [
        ("en", "One field is invalid.", "Must be at least 8 characters long."),
        ("de", "Ein Feld ist ungültig.", "Muss mindestens 8 Zeichen lang sein."),
        ("es", "Un campo no es válido.", "Debe tener al menos 8 caracteres."),
        ("fr", "Un champ est invalide.", "Doit contenir au moins 8 caractères."),
    ],
)
async def test_validation_errors_are_translated(client, make_user, accept, detail, message):
    _, admin = await make_user(is_admin=True)
    r = await client.post(
        "/api/v1/admin/users",
        json={"username": "zed", "password": "short"},
        headers={**admin, "Accept-Language": accept},
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "request.validation_failed"
    assert body["detail"] == detail
    assert body["errors"][0]["msg"] == message


async def test_unknown_route_is_a_translated_problem(client):
    r = await client.get("/api/v1/nope", headers={"Accept-Language": "fr"})
    assert r.status_code == 404
    assert r.json() | {"params": {}} == {
        "type": "https://revenge.invalid/problems/resource.not_found",
        "title": "Introuvable",
        "status": 404,
        "detail": "La ressource demandée n’existe pas.",
        "code": "resource.not_found",
        "params": {},
    }
