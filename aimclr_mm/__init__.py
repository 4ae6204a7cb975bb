"""AimCLR for mmaction2.

Importing this package registers every component in mmaction2's registries,
so any mmaction2 config can use them through::

    custom_imports = dict(imports=['aimclr_mm'], allow_failed_imports=False)
"""
from . import datasets, engine, evaluation, models, utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
