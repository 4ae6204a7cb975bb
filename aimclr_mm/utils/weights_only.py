"""Say why ``torch.load(weights_only=True)`` refused a file.

torch's message names the refused global in a sentence that also suggests
``weights_only=False``, which would run the file's code. These helpers name
the refused globals (of zip and legacy files alike) and keep only torch's
reason, never that advice.
"""
import io
import pickletools
import re
from typing import IO, List, Union

__all__ = ['refused_globals', 'refusal_reason']


def _allowed_globals() -> set:
    from torch import _weights_only_unpickler as unpickler
    return set(unpickler._get_allowed_globals()) | set(
        unpickler._get_user_allowed_globals())


def _legacy_globals(file: IO[bytes]) -> set:
    """Globals of the object pickle of a legacy (non-zip) ``torch.save``
    file, which follows the magic number, protocol version and system info
    pickles."""
    from torch._weights_only_unpickler import get_globals_in_pkl
    file.seek(0)
    for _ in range(3):
        for _ in pickletools.genops(file):
            pass
    return get_globals_in_pkl(file)


def refused_globals(file: Union[str, bytes]) -> List[str]:
    """The globals of a ``torch.save`` file (a path, or its bytes) that
    ``weights_only=True`` refuses with the allowlist in effect, sorted; []
    if none can be read. The file is only disassembled, never unpickled."""
    import torch
    try:
        opened = open(file, 'rb') if isinstance(file, str) else io.BytesIO(
            file)
        with opened as f:
            if torch.serialization._is_zipfile(f):
                f.seek(0)
                return sorted(
                    torch.serialization.get_unsafe_globals_in_checkpoint(f))
            return sorted(_legacy_globals(f) - _allowed_globals())
    except Exception:  # neither format, or truncated
        return []


def _torch_reason(message: str) -> str:
    """torch's own reason in a weights_only failure message, without its
    advice to load with ``weights_only=False``."""
    if 'WeightsUnpickler error:' in message:
        message = message.split('WeightsUnpickler error:', 1)[1]
    for line in message.strip().splitlines():
        line = line.strip()
        if line and 'weights_only' not in line and not line.startswith(
                'Check the documentation'):
            return line
    return 'refused by weights_only loading'


def refusal_reason(file: Union[str, bytes], error: Exception) -> str:
    """Why ``torch.load(file, weights_only=True)`` raised ``error``:
    ``'it pickles the global a.b'`` or ``'it pickles an object that is not
    allowed (...)'``."""
    names = refused_globals(file)
    if not names:
        names = re.findall(
            r'GLOBAL (\S+) (?:was not an allowed global|whose module)',
            str(error))[:1]
    if names:
        plural = 's' if len(names) > 1 else ''
        return f'it pickles the global{plural} {", ".join(names)}'
    return ('it pickles an object that is not allowed '
            f'({_torch_reason(str(error))})')
