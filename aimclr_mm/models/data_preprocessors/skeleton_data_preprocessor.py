from typing import List, Optional, Tuple

import torch
from mmaction.datasets.transforms import JointToBone
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS

STREAMS = ('joint', 'motion', 'bone')


def skeleton_stream(x: torch.Tensor, stream: str,
                    bone_pairs: Optional[List[Tuple[int, int]]] = None
                    ) -> torch.Tensor:
    """Joint, motion or bone features of skeletons (..., T, V, C).

    motion: ``x[t + 1] - x[t]``, the last frame zero. bone: each joint minus
    its parent joint, ``bone_pairs`` as (joint, parent), 0-based.
    """
    if stream == 'joint':
        return x
    out = torch.zeros_like(x)
    if stream == 'motion':
        out[..., :-1, :, :] = x[..., 1:, :, :] - x[..., :-1, :, :]
        return out
    if stream == 'bone':
        joint, parent = (list(v) for v in zip(*bone_pairs))
        out[..., joint, :] = x[..., joint, :] - x[..., parent, :]
        return out
    raise ValueError(f'Unknown skeleton stream {stream!r}; expected one of '
                     f'{STREAMS}')


@MODELS.register_module()
class SkeletonDataPreprocessor(ActionDataPreprocessor):
    """Stacks skeleton batches and turns them into the configured stream.

    The stream is derived from each view after augmentation, as AimCLR does,
    so one data pipeline serves joint, motion and bone models and a config
    switches the stream with ``model.data_preprocessor.stream``.

    Args:
        stream (str): ``'joint'``, ``'motion'`` or ``'bone'``.
        layout (str): Skeleton layout whose bones to use, as mmaction2's
            ``JointToBone`` knows them (``'nturgb+d'``, ``'openpose'``,
            ``'coco'``). Defaults to ``'nturgb+d'``.

    Inputs: (N, num_views, M, T, V, C); outputs the same shape.
    """

    def __init__(self, stream: str = 'joint', layout: str = 'nturgb+d',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if stream not in STREAMS:
            raise ValueError(f'Unknown skeleton stream {stream!r}; expected '
                             f'one of {STREAMS}')
        self.stream = stream
        self.bone_pairs = JointToBone(dataset=layout).pairs

    def preprocess(self, inputs, data_samples, training: bool = False):
        inputs, data_samples = super().preprocess(inputs, data_samples,
                                                  training)
        return skeleton_stream(inputs, self.stream,
                               self.bone_pairs), data_samples
