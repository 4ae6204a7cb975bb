import os
from pathlib import Path

import pytest

# ``../shared`` beside the checkout holds the official-code fixtures and real
# data; a user's fresh clone does not have it, so tests using it skip.
SHARED_DIR = Path(
    os.environ.get('AIMCLR_SHARED_DIR',
                   Path(__file__).resolve().parents[1].parent / 'shared'))
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
