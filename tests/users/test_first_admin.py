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
