from .safe_pickle import (SAFE_DTYPE_KINDS, CorruptPickleError,
                          UnsafePickleError, load_pickle)

__all__ = [
    'SAFE_DTYPE_KINDS', 'CorruptPickleError', 'UnsafePickleError',
    'load_pickle'
]
