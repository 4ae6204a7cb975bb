"""AimCLR for mmaction2.

Importing this package registers every component in mmaction2's registries,
so any mmaction2 config can use them through::

    custom_imports = dict(imports=['aimclr_mm'], allow_failed_imports=False)
"""
import warnings

# mmcv-lite has no compiled ops; mmcv warns about this one on every import of
# mmcv.cnn although nothing here uses it.
warnings.filterwarnings(
    'ignore',
    message=r'Fail to import ``MultiScaleDeformableAttention`` from '
    r'``mmcv\.ops\.multi_scale_deform_attn``',
    category=UserWarning)

from . import datasets, engine, evaluation, models, utils  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
