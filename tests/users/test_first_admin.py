from __future__ import annotations

from revenge.core.config import Settings
from revenge.core.security import verify_password
from revenge.users import repository, service


async def test_first_admin_from_settings_then_never_again(session, test_settings: Settings):
    settings = test_settings.model_copy(update={"admin_username": "root", "admin_password": None})
    generated = await service.ensure_first_admin(session, settings)
    assert generated is not None and len(generated) >= 12
    admin = await repository.get_user_by_username(session, "root")
    assert admin is not None and admin.is_admin
    assert verify_password(admin.password_hash, generated)
    assert await service.ensure_first_admin(session, settings) is None


async def test_a_generated_first_password_must_be_changed(session, test_settings: Settings):
    generated_settings = test_settings.model_copy(
        update={"admin_username": "gen", "admin_password": None}
    )
    assert await service.ensure_first_admin(session, generated_settings) is not None
    generated_admin = await repository.get_user_by_username(session, "gen")
    assert generated_admin is not None and generated_admin.must_change_password is True


async def test_a_configured_first_password_stays(session, test_settings: Settings):
    from pydantic import SecretStr

    settings = test_settings.model_copy(
        update={"admin_username": "chosen", "admin_password": SecretStr("operator-chose-this")}
    )
    assert await service.ensure_first_admin(session, settings) is None
    admin = await repository.get_user_by_username(session, "chosen")
    assert admin is not None and admin.is_admin and admin.must_change_password is False
    assert verify_password(admin.password_hash, "operator-chose-this")
