import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .report import InputError


def read_text_lines(path: Union[str, os.PathLike]) -> List[str]:
    """Lines of a text file, without line endings.

    Raises:
        InputError: the file cannot be read, is not UTF-8 text or holds NUL
            bytes (a zero-filled tail left by an interrupted copy).
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise InputError(f'{path}: cannot be read ({e.strerror})',
                         'unreadable') from None
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise InputError(
            f'{path}: not a text file (byte {e.start} is not UTF-8)',
            'malformed') from None
    if '\x00' in text:
        lineno = text.count('\n', 0, text.index('\x00')) + 1
        raise InputError(f'{path}, line {lineno}: NUL bytes in a text file',
                         'malformed')
    return text.splitlines()


def parse_int(token: str, where: str) -> int:
    """An integer count or index; ``where`` names it for the error."""
    try:
        return int(token)
    except ValueError:
        raise InputError(f'{where}: expected an integer, found {token!r}',
                         'malformed') from None


def parse_rows(lines: Sequence[str],
               width: int,
               source: str,
               first_lineno: int = 1) -> np.ndarray:
    """Whitespace-separated numbers, ``width`` per line, as (N, width).

    Args:
        lines (Sequence[str]): The text lines.
        width (int): Number of values every line must hold.
        source (str): Name of the input, for error messages.
        first_lineno (int): 1-based line number of ``lines[0]``.

    Raises:
        InputError: a line with another number of values (``'malformed'``),
            a non-numeric token (``'malformed'``) or a NaN / infinite value
            (``'non_finite'``); the message names the line.
    """
    rows = [line.split() for line in lines]
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(
                f'{source}, line {first_lineno + i}: expected {width} '
                f'values, found {len(row)}', 'malformed')
    try:
        values = np.array(rows, dtype=np.float64).reshape(len(rows), width)
    except ValueError:
        for i, row in enumerate(rows):
            for token in row:
                try:
                    float(token)
                except ValueError:
                    raise InputError(
                        f'{source}, line {first_lineno + i}: non-numeric '
                        f'token {token!r}', 'malformed') from None
        raise
    finite = np.isfinite(values)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise InputError(
            f'{source}, line {first_lineno + i}: non-finite value '
            f'{rows[i][j]!r}', 'non_finite')
    return values


def parse_rows_lenient(
    lines: Sequence[str],
    width: int,
    source: str,
    linenos: Optional[Sequence[int]] = None
) -> Tuple[np.ndarray, Dict[int, InputError]]:
    """Like :func:`parse_rows`, but a bad line does not stop the others.

    Args:
        linenos (Sequence[int], optional): 1-based line number of each of
            ``lines`` in the file. Defaults to 1, 2, ...

    Returns:
        tuple: Values (N, width) with zeros on bad lines, and the error of
        each bad line by its index in ``lines``. A short last line is
        reported as a truncated file.
    """
    if linenos is None:
        linenos = range(1, len(lines) + 1)
    try:
        values = parse_rows(lines, width, source)
        return values, {}
    except InputError:
        pass
    values = np.zeros((len(lines), width))
    errors = {}
    for i, (line, lineno) in enumerate(zip(lines, linenos)):
        try:
            values[i] = parse_rows([line], width, source, lineno)[0]
        except InputError as e:
            if i == len(lines) - 1 and 0 < len(line.split()) < width:
                e = InputError(f'{e} (truncated file)', 'truncated')
            errors[i] = e
    return values, errors


def parse_label_int(token: str) -> int:
    """An integer frame number or id; ``'12'`` and ``'12.0'`` are accepted.

    Raises:
        ValueError: anything else, NaN included.
    """
    try:
        return int(token)
    except ValueError:
        value = float(token)
        if not value.is_integer():
            raise ValueError(f'{token!r} is not an integer') from None
        return int(value)
