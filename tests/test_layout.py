"""The tests mirror the source tree: every room of src/reasonledger has a tests/ folder of the same
name, and every tests/ folder is named after a room (or a sub-package of one) unless listed below
with the reason."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC, TESTS = ROOT / "src" / "reasonledger", ROOT / "tests"

# Rooms without a tests/ folder of their own, and where they are tested.
UNMIRRORED_ROOMS = {
    "commands": "each command is tested with the room it drives (tests/quality/test_audit_command.py, "
                "tests/records/test_commands_safety.py, tests/cards/test_card_set.py, ...)",
}
# tests/ folders that are not a room, and why.
EXTRA_FOLDERS = {
    "hub": "the Hugging Face Hub round trip: formats, cards/hub.py and the publish and export commands together",
    "plugin_pkg": "a plugin package installed by the tests, not a test folder",
}


def _packages(root: Path) -> set[str]:
    return {p.parent.relative_to(root).as_posix() for p in root.rglob("__init__.py")} - {"."}


def test_every_room_has_a_test_folder_of_its_name():
    rooms = {p for p in _packages(SRC) if "/" not in p}
    missing = sorted(room for room in rooms - set(UNMIRRORED_ROOMS) if not (TESTS / room).is_dir())
    assert not missing, f"rooms without tests/<room>/: {missing}; add the folder or list it in UNMIRRORED_ROOMS"
    assert set(UNMIRRORED_ROOMS) <= rooms, "an exception names a room that no longer exists"
    assert not any((TESTS / room).is_dir() for room in UNMIRRORED_ROOMS), "an exception is no longer needed"


def test_every_test_folder_mirrors_a_package():
    packages = _packages(SRC)
    folders = {p.parent.relative_to(TESTS).as_posix() for p in TESTS.rglob("test_*.py") if p.parent != TESTS}
    folders = {f for f in folders if f.split("/")[0] not in EXTRA_FOLDERS}
    strays = sorted(f for f in folders if f not in packages)
    assert not strays, f"tests/ folders named after no package of src/reasonledger: {strays}"
    assert all((TESTS / name).is_dir() for name in EXTRA_FOLDERS), "an exception names a folder that no longer exists"
