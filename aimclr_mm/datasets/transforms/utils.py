from typing import Dict, Optional, Tuple, Union

import numpy as np


def sample_name(results: Dict) -> str:
    """Name of the sample in error messages: its ``frame_dir`` if known."""
    frame_dir = results.get('frame_dir')
    return repr(frame_dir) if frame_dir is not None else '<unnamed sample>'


def get_keypoint(results: Dict,
                 owner: str,
                 num_channels: Union[int, Tuple[int, ...], None] = None
                 ) -> np.ndarray:
    """Fetch ``results['keypoint']`` and check it is a float (M, T, V, C)
    array with at least one frame.

    Args:
        results (dict): The result dict.
        owner (str): Name of the calling transform, for error messages.
        num_channels (int | tuple[int], optional): Required ``C``, or the
            allowed values of it. Defaults to None (any).

    Returns:
        np.ndarray: The keypoint array, not copied.
    """
    if 'keypoint' not in results:
        raise KeyError(f'{owner}: sample {sample_name(results)} has no '
                       "'keypoint'")
    keypoint = results['keypoint']
    if not isinstance(keypoint, np.ndarray) or keypoint.ndim != 4:
        shape = getattr(keypoint, 'shape', type(keypoint).__name__)
        raise ValueError(f'{owner}: keypoint of sample {sample_name(results)} '
                         f'must be a (M, T, V, C) array, got {shape}')
    if not np.issubdtype(keypoint.dtype, np.floating):
        raise TypeError(f'{owner}: keypoint of sample {sample_name(results)} '
                        f'must be floating point, got {keypoint.dtype}')
    if keypoint.shape[0] == 0 or keypoint.shape[1] == 0:
        raise ValueError(f'{owner}: sample {sample_name(results)} is empty '
                         f'(keypoint shape {keypoint.shape})')
    allowed = (num_channels, ) if isinstance(num_channels, int) else \
        num_channels
    if allowed is not None and keypoint.shape[-1] not in allowed:
        wanted = ' or '.join(map(str, allowed))
        raise ValueError(f'{owner}: keypoint of sample {sample_name(results)} '
                         f'must have C={wanted} coordinates, got shape '
                         f'{keypoint.shape}')
    return keypoint
