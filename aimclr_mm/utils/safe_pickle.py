"""Load annotation and result pickles without running code from them.

``pickle.load`` calls whatever a file names, so a downloaded annotation file
could run any code. :func:`load_pickle` unpickles only plain containers,
strings, numbers and numpy arrays and scalars of boolean, numeric and string
dtypes (and, for ``tools/test.py --dump`` files, CPU tensors); every other
global is refused with :class:`UnsafePickleError` before it is called.
"""
import codecs
import collections
import io
import pickle
from typing import Any, Callable, Dict, Tuple

import numpy as np

__all__ = [
    'UnsafePickleError', 'CorruptPickleError', 'load_pickle',
    'SAFE_DTYPE_KINDS'
]

#: numpy dtype kinds allowed in arrays and scalars: bool, signed and
#: unsigned integers, floats, complex numbers, unicode and byte strings.
SAFE_DTYPE_KINDS = 'biufcUS'


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names an object outside the allowlist."""


class CorruptPickleError(pickle.UnpicklingError):
    """A pickle is truncated or not a pickle at all."""


def _safe_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind not in SAFE_DTYPE_KINDS or dtype.fields is not None \
            or dtype.subdtype is not None:
        raise UnsafePickleError(
            f'numpy dtype {dtype!r} (only boolean, numeric and string '
            'dtypes are allowed)')
    return dtype


def _dtype(*args) -> np.dtype:
    return _safe_dtype(np.dtype(*args))


def _reconstruct(subtype, shape, typecode):
    if subtype is not np.ndarray:
        raise UnsafePickleError(f'array subclass {subtype!r}')
    return np.ndarray.__new__(np.ndarray, shape, _dtype(typecode))


def _frombuffer(buffer, dtype, shape, order):
    _safe_dtype(dtype)
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order=order)


def _scalar(dtype, *args):
    return _NP_SCALAR(_safe_dtype(dtype), *args)


def _latin1_encode(text, encoding='latin1'):
    # Protocol 2 writes ``bytes`` as ``_codecs.encode(str, 'latin1')``.
    if not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise UnsafePickleError(
            f'_codecs.encode({type(text).__name__}, {encoding!r})')
    return codecs.encode(text, 'latin1')


_NP_SCALAR = np.float64(0).__reduce__()[0]

_SAFE_GLOBALS: Dict[Tuple[str, str], Callable] = {
    ('builtins', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
    ('builtins', 'bytes'): bytes,
    ('builtins', 'bytearray'): bytearray,
    ('builtins', 'complex'): complex,
    ('_codecs', 'encode'): _latin1_encode,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): _dtype,
}
# numpy 1.x pickles name ``numpy.core``, numpy 2.x ``numpy._core``.
for _package in ('numpy.core', 'numpy._core'):
    _SAFE_GLOBALS.update({
        (f'{_package}.multiarray', '_reconstruct'): _reconstruct,
        (f'{_package}.multiarray', 'scalar'): _scalar,
        (f'{_package}.numeric', '_frombuffer'): _frombuffer,
    })


def _tensor_globals() -> Dict[Tuple[str, str], Callable]:
    """How ``pickle.dump`` writes a CPU tensor: its storage as bytes in
    torch's own format, read back here with ``weights_only=True``."""
    import torch

    def load_storage(data: bytes):
        return torch.load(
            io.BytesIO(data), map_location='cpu', weights_only=True)

    def rebuild_tensor(storage, offset, size, stride, requires_grad,
                       backward_hooks, *args):
        if backward_hooks or any(arg is not None for arg in args):
            raise UnsafePickleError('a tensor with backward hooks or '
                                    'metadata')
        return torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
                                               requires_grad,
                                               collections.OrderedDict())

    return {
        ('torch.storage', '_load_from_bytes'): load_storage,
        ('torch._utils', '_rebuild_tensor_v2'): rebuild_tensor,
    }


class _SafeUnpickler(pickle.Unpickler):

    def __init__(self, file, allow_tensors: bool = False) -> None:
        super().__init__(file)
        self.safe_globals = dict(_SAFE_GLOBALS)
        if allow_tensors:
            self.safe_globals.update(_tensor_globals())

    def find_class(self, module: str, name: str) -> Callable:
        if module == '__builtin__':  # protocol 2 written by Python 2
            module = 'builtins'
        try:
            return self.safe_globals[(module, name)]
        except KeyError:
            raise UnsafePickleError(f'the global {module}.{name}') from None

    def persistent_load(self, pid: Any):
        raise UnsafePickleError(f'the persistent id {pid!r}')


def _check_arrays(obj: Any) -> None:
    """Refuse arrays of object or structured dtype built without a pickled
    dtype (``numpy.ndarray(shape, 'O')``)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (np.ndarray, np.generic)):
            _safe_dtype(item.dtype)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


def load_pickle(path: str, allow_tensors: bool = False) -> Any:
    """Unpickle ``path`` allowing only data, never code.

    Args:
        path (str): The file.
        allow_tensors (bool): Also allow CPU tensors, as written by
            ``tools/test.py --dump``. Defaults to False.

    Raises:
        UnsafePickleError: the file names anything but plain containers,
            strings, numbers and numpy arrays and scalars of the dtype kinds
            in :data:`SAFE_DTYPE_KINDS` (or tensors): nothing named in it
            was called.
        CorruptPickleError: the file is truncated or not a pickle.
        FileNotFoundError: there is no file at ``path``.
    """
    with open(path, 'rb') as f:
        try:
            data = _SafeUnpickler(f, allow_tensors).load()
            _check_arrays(data)
        except UnsafePickleError as error:
            allowed = ('plain containers, strings, numbers and numpy arrays '
                       'of boolean, numeric or string dtypes')
            if allow_tensors:
                allowed += ' and tensors'
            raise UnsafePickleError(
                f'Refusing to load {path}: it pickles {error}. Data files '
                f'may only hold {allowed}: anything else can run code when '
                'unpickled. Nothing from the file was run; if you trust '
                'it, convert it to plain data.') from None
        except (EOFError, pickle.UnpicklingError, ValueError, TypeError,
                IndexError, KeyError, MemoryError) as error:
            raise CorruptPickleError(
                f'Cannot read {path}: it is truncated or not a pickle '
                f'({type(error).__name__}: {error})') from None
    return data
