import os

import pytest

from .sitetools import ROOT, run_build


@pytest.fixture(scope="session")
def site_build():
    """One strict build of the real site; every block executes unless BLOGCODE_CACHE=on."""
    return run_build(ROOT, ROOT / "site", cache=os.environ.get("BLOGCODE_CACHE", "refresh"))
