import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent

# The data tools' library ``skeleton_converters`` lives in ``tools/data``,
# outside the installed package; tests import it as the tools do.
sys.path.insert(0, str(TESTS_DIR.parent / 'tools' / 'data'))
# The helpers (``pose_data``, ``tiny_pretrain``, ``tool_module``) stay here,
# beside the test folders that mirror the package.
sys.path.insert(0, str(TESTS_DIR))

# ``../shared`` beside the checkout holds the official-code fixtures and real
# data; a user's fresh clone does not have it, so tests using it skip.
SHARED_DIR = Path(
    os.environ.get('AIMCLR_SHARED_DIR',
                   TESTS_DIR.parents[1] / 'shared'))
FIXTURES_DIR = SHARED_DIR / 'fixtures'
DATA_DIR = SHARED_DIR / 'data'


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f'{path} is not available')
    return path


@pytest.fixture(scope='session')
def reference_fixture():
    """Official AimCLR reference numbers (``aimclr_reference.npz``)."""
    import numpy as np
    return np.load(_require(FIXTURES_DIR / 'aimclr_reference.npz'))


@pytest.fixture(scope='session')
def fixtures_dir() -> Path:
    return _require(FIXTURES_DIR)


@pytest.fixture(scope='session')
def utkinect_dir() -> Path:
    return _require(DATA_DIR / 'utkinect')


@pytest.fixture(scope='session')
def msr_action3d_dir() -> Path:
    return _require(DATA_DIR / 'msr_action3d')
