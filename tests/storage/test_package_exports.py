"""What `storage` offers other packages, and what importing a piece of it costs."""
from __future__ import annotations

import subprocess
import sys

from presswatch import storage


def test_every_exported_name_loads_from_its_module() -> None:
    assert sorted(storage.__all__) == sorted(storage._EXPORTS)  # noqa: SLF001 - the table behind __all__
    for name in storage.__all__:
        assert getattr(storage, name) is not None, name


def test_a_parse_worker_gets_the_save_keys_without_importing_sqlalchemy() -> None:
    probe = ("import sys; from storage import PreparedContent; "
             "PreparedContent.of('H', 'Body text', b'<html></html>'); "
             "print('sqlalchemy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        storage.NoSuchThing  # noqa: B018 - the lookup is the test
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("storage.NoSuchThing resolved")
