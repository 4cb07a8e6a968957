"""The new-passwords file: strong passwords, one 0600 file, never a wider one."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from providers.passwords import NewPasswords, generate_password
from reconciler.errors import UserError


def test_generated_passwords_have_all_four_classes_and_differ() -> None:
    seen = {generate_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert len(password) == 20
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


def test_file_is_created_0600_with_a_header_and_one_row_per_account(tmp_path: Path) -> None:
    path = tmp_path / ".tenantry" / "new-passwords.csv"
    sink = NewPasswords(path)
    assert not path.exists()  # nothing created, nothing written
    sink.record(directory="ad", tenant="contoso", user="alice", upn="alice@c.example",
                password="Xy3!" * 5)
    sink.record(directory="ad", tenant="contoso", user="bob", upn="bob@c.example",
                password="Zz9#" * 5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.DictReader(path.open()))
    assert [r["user"] for r in rows] == ["alice", "bob"]
    assert rows[1]["password"] == "Zz9#" * 5


def test_a_world_readable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pw.csv"
    path.write_text("")
    os.chmod(path, 0o644)
    with pytest.raises(UserError, match="readable by others"):
        NewPasswords(path).record(directory="d", tenant="t", user="u", upn="u@x", password="p")
    assert path.read_text() == ""
