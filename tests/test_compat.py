"""compat.py: Spyne 2.14's vendored six works on every supported Python, without touching real modules."""

from __future__ import annotations

import subprocess
import sys

SPYNE_IMPORTS = (
    "import spyne.util.oset, spyne.protocol.soap, spyne.interface.wsdl; "
    "from spyne.util.six.moves.urllib.parse import urlparse; "
    "from spyne.util.six.moves import collections_abc; "
)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_spyne_imports_after_mockwcf_on_this_python():
    res = _python(
        "import mockwcf, collections.abc, urllib.parse; "
        + SPYNE_IMPORTS
        + "assert collections_abc is collections.abc and urlparse is urllib.parse.urlparse; "
        # the aliased real modules keep their own spec (reload and pickle use it)
        + "assert not collections.abc.__spec__.name.startswith('spyne'), collections.abc.__spec__; "
        + "assert urllib.parse.__spec__.name == 'urllib.parse'; print('ok')"
    )
    assert res.stdout.strip() == "ok", res.stderr


def test_the_layer_is_what_makes_it_work_from_312_on():
    """Without mockwcf's finder, Python 3.12+ cannot import Spyne at all (arskom/spyne#700)."""
    res = _python(SPYNE_IMPORTS + "print('ok')")
    if sys.version_info >= (3, 12):
        assert "No module named 'spyne.util.six.moves'" in res.stderr
    else:
        assert res.stdout.strip() == "ok", res.stderr


def test_install_is_idempotent_and_reports_nothing_missing():
    from mockwcf import compat

    before = len(sys.meta_path)
    compat.install()
    compat.install()
    assert len(sys.meta_path) == before
    assert compat.missing() == []
