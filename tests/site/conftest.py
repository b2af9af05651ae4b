import os
from pathlib import Path

import pytest

from .sitetools import ROOT, run_build


@pytest.fixture(scope="session")
def site_build():
    """One strict build of the real site; every block executes unless BLOGCODE_CACHE=on.

    ``BLOGCODE_TEST_SITE=/tmp/x`` builds into another folder, so that several people (or
    helpers) can check the site at once without overwriting each other's ``site/``.
    """
    site = Path(os.environ.get("BLOGCODE_TEST_SITE") or ROOT / "site")
    return run_build(ROOT, site, cache=os.environ.get("BLOGCODE_CACHE", "refresh"))
