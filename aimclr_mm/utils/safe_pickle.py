"""Load annotation and result pickles without running code from them.

``pickle.load`` calls whatever a file names, so a downloaded annotation file
could run any code (mmengine's ``load``, which mmaction2's ``PoseDataset``
reads annotations with, is a plain ``pickle.load``). :func:`load_pickle`
unpickles only plain containers, strings, numbers and numpy arrays and
scalars of boolean, numeric and string dtypes (and, for ``tools/test.py
--dump`` files, CPU tensors); every other global is refused with
:class:`UnsafePickleError` before it is called. An array, bytes object or
pickle field that claims more bytes than the whole file holds is refused
with :class:`CorruptPickleError` before it is allocated.
"""
import codecs
import collections
import io
import math
import operator
import os
import os.path as osp
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


class _Oversized(CorruptPickleError):
    """A pickle claims more bytes than its whole file holds."""


def _safe_dtype(dtype: np.dtype) -> np.dtype:
    if not isinstance(dtype, np.dtype):
        # numpy's own pickles pass dtype objects here, never names
        raise UnsafePickleError(
            f'numpy dtype given as the {type(dtype).__name__} {dtype!r} '
            '(a dtype object is expected)')
    if dtype.kind not in SAFE_DTYPE_KINDS or dtype.fields is not None \
            or dtype.subdtype is not None:
        raise UnsafePickleError(
            f'numpy dtype {dtype!r} (only boolean, numeric and string '
            'dtypes are allowed)')
    return dtype


def _dtype(*args) -> np.dtype:
    return _safe_dtype(np.dtype(*args))


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
    ('builtins', 'complex'): complex,
    ('_codecs', 'encode'): _latin1_encode,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('numpy', 'dtype'): _dtype,
}
# numpy 1.x pickles name ``numpy.core``, numpy 2.x ``numpy._core``.
_NUMPY_PACKAGES = ('numpy.core', 'numpy._core')
for _package in _NUMPY_PACKAGES:
    _SAFE_GLOBALS.update({
        (f'{_package}.multiarray', 'scalar'): _scalar,
        (f'{_package}.numeric', '_frombuffer'): _frombuffer,
    })


def _nbytes(shape, dtype: np.dtype) -> int:
    """Bytes of an array of ``shape``; 0 for a shape numpy refuses."""
    try:
        dims = [operator.index(shape)]
    except TypeError:
        try:
            dims = [operator.index(d) for d in shape]
        except TypeError:
            return 0
    return dtype.itemsize * math.prod(max(d, 0) for d in dims)


class _SizedGlobals:
    """The constructors that allocate what the pickle asks for (arrays of a
    shape, ``bytes(n)``), refusing a size larger than the whole file: every
    byte of real data is in the file."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ndarray_global = self.ndarray

    def claim(self, nbytes: int, what: str) -> None:
        if nbytes > self.size:
            raise _Oversized(f'{what} ({nbytes} bytes)')

    def ndarray(self, shape, dtype=float, buffer=None, *args):
        """``numpy.ndarray``: called directly only by crafted files; numpy's
        pickles pass it to ``_reconstruct``."""
        dtype = _dtype(dtype)
        if buffer is None:
            self.claim(_nbytes(shape, dtype),
                       f'a {dtype} array of shape {shape!r}')
        return np.ndarray(shape, dtype, buffer, *args)

    def reconstruct(self, subtype, shape, typecode):
        if subtype is not np.ndarray and subtype is not self.ndarray_global:
            raise UnsafePickleError(f'array subclass {subtype!r}')
        dtype = _dtype(typecode)
        self.claim(_nbytes(shape, dtype),
                   f'a {dtype} array of shape {shape!r}')
        return np.ndarray.__new__(np.ndarray, shape, dtype)

    def _sized(self, cls, *args):
        try:
            nbytes = operator.index(args[0])
        except (IndexError, TypeError):  # no argument, or not a size
            pass
        else:
            self.claim(nbytes, f'{cls.__name__}({nbytes})')
        return cls(*args)

    def bytes(self, *args):
        return self._sized(bytes, *args)

    def bytearray(self, *args):
        return self._sized(bytearray, *args)

    def globals(self) -> Dict[Tuple[str, str], Callable]:
        named = {
            ('numpy', 'ndarray'): self.ndarray_global,
            ('builtins', 'bytes'): self.bytes,
            ('builtins', 'bytearray'): self.bytearray,
        }
        for package in _NUMPY_PACKAGES:
            named[(f'{package}.multiarray', '_reconstruct')] = \
                self.reconstruct
        return named


class _SizedFile:
    """``file`` for the unpickler, refusing a read of more bytes than are
    left: a corrupt length field would otherwise be allocated first."""

    _CHECK_FROM = 1 << 16  # smaller reads cannot allocate much

    def __init__(self, file: io.BufferedReader, size: int) -> None:
        self.file = file
        self.size = size
        self.readline = file.readline
        self.peek = file.peek

    def _check(self, nbytes: int) -> None:
        if nbytes > self._CHECK_FROM:
            position = self.file.tell()
            if nbytes > self.size - position:
                raise _Oversized(f'{nbytes} more bytes at byte {position}')

    def read(self, nbytes: int = -1) -> bytes:
        self._check(nbytes)
        return self.file.read(nbytes)

    def readinto(self, buffer) -> int:
        self._check(memoryview(buffer).nbytes)
        return self.file.readinto(buffer)


def _tensor_globals() -> Dict[Tuple[str, str], Callable]:
    """How ``pickle.dump`` writes a CPU tensor: its storage as bytes in
    torch's own format, read back here with ``weights_only=True``."""
    import torch

    from .weights_only import refusal_reason

    def load_storage(data: bytes):
        try:
            return torch.load(
                io.BytesIO(data), map_location='cpu', weights_only=True)
        except pickle.UnpicklingError as error:
            # 'it pickles the global ...' of the nested torch file
            reason = refusal_reason(bytes(data), error)
            raise UnsafePickleError(
                f'{reason[len("it pickles "):]} in the storage of a '
                'tensor') from None

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

    def __init__(self, file, size: int, allow_tensors: bool = False) -> None:
        super().__init__(_SizedFile(file, size))
        self.safe_globals = dict(_SAFE_GLOBALS)
        self.safe_globals.update(_SizedGlobals(size).globals())
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
        CorruptPickleError: the file is truncated, not a pickle, a
            directory, or claims more bytes than it holds.
        FileNotFoundError: there is no file at ``path``.
    """
    if osp.isdir(path):
        raise CorruptPickleError(
            f'Cannot read {path}: it is a directory, not a pickle file')
    with open(path, 'rb') as f:
        size = os.fstat(f.fileno()).st_size
        try:
            data = _SafeUnpickler(f, size, allow_tensors).load()
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
        except _Oversized as error:
            raise CorruptPickleError(
                f'Cannot read {path}: it claims {error}, more than the '
                f'{size} bytes the whole file holds (it is corrupt or was '
                'crafted)') from None
        except Exception as error:  # whatever the data made the loader do
            raise CorruptPickleError(
                f'Cannot read {path}: it is truncated or not a pickle '
                f'({type(error).__name__}: {error})') from None
    return data
