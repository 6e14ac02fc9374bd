"""An admin's word on a duplicate group ("keep this one", "not duplicates") takes it off the
list for good — until another member joins it; it can be undone. Members carry their file
size (images too) and the artwork of the item they belong to."""

from __future__ import annotations

import uuid

from revenge.core.db import session_scope
from revenge.fingerprints import duplicates
from revenge.fingerprints.schemas import DuplicateKind
from revenge.library.models import Track
from tests.fingerprints import media
from tests.fingerprints.conftest import add_image, add_library, add_track

BASE = "/api/v1/admin/fingerprint/duplicates"


async def _image_group(tmp_path, copies: int = 2, seed: int = 7):
    """``copies`` image rows of one picture on one album (with that cover as its artwork), and
    the duplicate group linking them."""
    music = await add_library("music")
    track = await add_track(music, None, "Song")
    async with session_scope() as s:
        album_id = (await s.get(Track, track.id)).album_id  # type: ignore[union-attr]
    picture = media.picture(seed)
    images = []
    for n in range(copies):
        path = tmp_path / f"cover{seed}-{n}.png"
        picture.resize((200 + n * 40, 200 + n * 40)).save(path)
        images.append(await add_image(path, media_type="album", media_id=album_id))
    refs = [(("image", i.id), ("album", album_id)) for i in images]
    async with session_scope() as s:
        group_id = None
        for other in refs[1:]:
            group_id = await duplicates.link(s, DuplicateKind.image, refs[0], other, 0.97, 2)
    return group_id, images, album_id


async def _groups(client, headers, **params) -> list[dict]:
    response = await client.get(BASE, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_image_members_carry_their_size_and_artwork(client, admin_headers, tmp_path):
    group_id, images, album_id = await _image_group(tmp_path)
    (group,) = await _groups(client, admin_headers, kind="image")
    assert group["id"] == str(group_id)
    sizes = {m["subject_id"]: m["size_bytes"] for m in group["members"]}
    assert sizes == {str(i.id): i.size_bytes for i in images}
    assert all(size > 0 for size in sizes.values())
    for member in group["members"]:
        art = member["artwork"]
        assert art["thumb"].startswith(f"/api/v1/artwork/album/{album_id}/160?sig=")
        assert member["format"] == "png"
    # The bigger copy is the one to keep.
    assert group["keep"]["subject_id"] == str(images[1].id)


async def test_keep_one_dismisses_the_group_until_another_member_joins(
    client, admin_headers, tmp_path
):
    group_id, images, album_id = await _image_group(tmp_path)
    # Another group, untouched: it stays listed, and does not bring the dismissed one back.
    other_id, _, _ = await _image_group(tmp_path, seed=8)
    keep = {"decision": "keep", "keep_subject_type": "image", "keep_subject_id": str(images[0].id)}
    response = await client.post(f"{BASE}/{group_id}/dismiss", json=keep, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == "keep"
    assert response.json()["keep_subject_id"] == str(images[0].id)

    # Gone from the list, asked again as after a reload; listed among the dismissed.
    assert [g["id"] for g in await _groups(client, admin_headers)] == [str(other_id)]
    (dismissed,) = await _groups(client, admin_headers, dismissed="true")
    assert dismissed["id"] == str(group_id)
    assert dismissed["dismissal"]["decision"] == "keep"

    # A third copy joins: that one has not been looked at, so the group is back.
    path = tmp_path / "cover-third.png"
    media.picture(7).save(path)
    third = await add_image(path, media_type="album", media_id=album_id)
    async with session_scope() as s:
        await duplicates.link(
            s,
            DuplicateKind.image,
            (("image", images[0].id), ("album", album_id)),
            (("image", third.id), ("album", album_id)),
            0.99,
            1,
        )
    back = next(g for g in await _groups(client, admin_headers) if g["id"] == str(group_id))
    assert back["member_count"] == 3
    assert back["dismissal"] is None


async def test_not_duplicates_then_undo(client, admin_headers, tmp_path):
    group_id, _, _ = await _image_group(tmp_path)
    response = await client.post(
        f"{BASE}/{group_id}/dismiss", json={"decision": "not_duplicates"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["keep_subject_id"] is None
    assert await _groups(client, admin_headers, kind="image") == []

    # Dismissing again replaces the word given (no duplicate row, no error).
    again = await client.post(
        f"{BASE}/{group_id}/dismiss", json={"decision": "not_duplicates"}, headers=admin_headers
    )
    assert again.status_code == 200

    undo = await client.delete(f"{BASE}/{group_id}/dismiss", headers=admin_headers)
    assert undo.status_code == 204
    assert [g["id"] for g in await _groups(client, admin_headers)] == [str(group_id)]
    assert await _groups(client, admin_headers, dismissed="true") == []
    # Undoing what is not dismissed is harmless.
    assert (
        await client.delete(f"{BASE}/{group_id}/dismiss", headers=admin_headers)
    ).status_code == 204


async def test_bad_dismissals_are_refused(client, admin_headers, make_user, tmp_path):
    group_id, images, _ = await _image_group(tmp_path)
    url = f"{BASE}/{group_id}/dismiss"

    stranger = {
        "decision": "keep",
        "keep_subject_type": "image",
        "keep_subject_id": str(uuid.uuid4()),
    }
    refused = await client.post(url, json=stranger, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "fingerprint.not_a_member"

    for body in (
        {"decision": "keep"},
        {
            "decision": "not_duplicates",
            "keep_subject_type": "image",
            "keep_subject_id": str(images[0].id),
        },
        {"decision": "delete_them_all"},
        {"decision": "not_duplicates", "extra": 1},
    ):
        bad = await client.post(url, json=body, headers=admin_headers)
        assert bad.status_code == 422, body
        assert bad.headers["content-type"].startswith("application/problem+json")

    missing = await client.post(
        f"{BASE}/{uuid.uuid4()}/dismiss", json={"decision": "not_duplicates"}, headers=admin_headers
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "fingerprint.group_not_found"
    assert (
        await client.delete(f"{BASE}/{uuid.uuid4()}/dismiss", headers=admin_headers)
    ).status_code == 404
    assert (
        await client.post(f"{BASE}/not-a-uuid/dismiss", json={}, headers=admin_headers)
    ).status_code == 422

    _, user = await make_user()
    assert (
        await client.post(url, json={"decision": "not_duplicates"}, headers=user)
    ).status_code == 403
    # Nothing above dismissed the group.
    assert [g["id"] for g in await _groups(client, admin_headers)] == [str(group_id)]
