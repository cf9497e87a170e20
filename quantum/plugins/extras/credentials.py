# SPDX-License-Identifier: Apache-2.0
"""Credentials: user names and passwords, the passwords encrypted at rest.

Passwords are Fernet tokens (AES-128-CBC + HMAC-SHA256, from the ``cryptography``
library) under the keys of ``credential_key`` in quantum.conf: the first key
encrypts, every key decrypts, so a key is rotated by putting the new one first.
A password is decrypted only to be shown to its tenant; it is never logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.extension_models import Credential
from quantum.db.extension_models import CredentialRow
from quantum.db.session import Database

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


def load_keys(option: str) -> MultiFernet | None:
    """The keys of ``credential_key`` (comma-separated Fernet keys); None when
    empty. Raises ConfigError naming the option for a malformed key."""
    keys = [k.strip() for k in option.split(",") if k.strip()]
    if not keys:
        return None
    # NOTE: imported only with keys set: cryptography is 7 MiB in every worker.
    from cryptography.fernet import Fernet, MultiFernet

    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as error:
        raise exc.ConfigError(
            reason="credential_key in [DEFAULT] must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each; make one with "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from error


class CredentialStore:
    def __init__(self, db: Database, keys: MultiFernet) -> None:
        self.db = db
        self.keys = keys

    def _credential(self, row: CredentialRow) -> Credential:
        from cryptography.fernet import InvalidToken

        try:
            password = self.keys.decrypt(row.password_token.encode()).decode()
        except InvalidToken as error:
            raise exc.DependencyUnavailable(
                reason="a stored credential does not decrypt with credential_key"
            ) from error
        return Credential(
            id=row.id,
            tenant_id=row.tenant_id,
            name=row.name,
            user_name=row.user_name,
            password=password,
        )

    def _row(self, s: Session, tenant_id: str, credential_id: str) -> CredentialRow:
        row = s.scalars(
            select(CredentialRow).where(
                CredentialRow.id == credential_id,
                CredentialRow.tenant_id == tenant_id,
            )
        ).one_or_none()
        if row is None:
            raise exc.CredentialNotFound(credential_id=credential_id)
        return row

    def list_ids(self, tenant_id: str) -> Sequence[str]:
        """The tenant's credential ids, oldest first (nothing is decrypted)."""
        return self.db.run(
            lambda s: list(
                s.scalars(
                    select(CredentialRow.id)
                    .where(CredentialRow.tenant_id == tenant_id)
                    .order_by(CredentialRow.created_at, CredentialRow.id)
                )
            ),
            write=False,
        )

    def get(self, tenant_id: str, credential_id: str) -> Credential:
        """Raises CredentialNotFound."""
        row = self.db.run(lambda s: self._row(s, tenant_id, credential_id), write=False)
        return self._credential(row)

    def create(
        self, tenant_id: str, name: str, user_name: str, password: str
    ) -> Credential:
        token = self.keys.encrypt(password.encode()).decode()

        def work(s: Session) -> str:
            row = CredentialRow(
                id=str(uuid.uuid4()),
                tenant_id=tenant_id,
                name=name,
                user_name=user_name,
                password_token=token,
            )
            s.add(row)
            return row.id

        new_id = self.db.run(work, write=True, bump_revision=False)
        return Credential(
            id=new_id,
            tenant_id=tenant_id,
            name=name,
            user_name=user_name,
            password=password,
        )

    def rename(self, tenant_id: str, credential_id: str, name: str) -> Credential:
        """Raises CredentialNotFound."""

        def work(s: Session) -> CredentialRow:
            row = self._row(s, tenant_id, credential_id)
            row.name = name
            return row

        return self._credential(self.db.run(work, write=True, bump_revision=False))

    def delete(self, tenant_id: str, credential_id: str) -> None:
        """Raises CredentialNotFound."""

        def work(s: Session) -> None:
            self._row(s, tenant_id, credential_id)
            s.execute(delete(CredentialRow).where(CredentialRow.id == credential_id))

        self.db.run(work, write=True, bump_revision=False)
