from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmaction.datasets.transforms import JointToBone
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS
from mmengine.dist import get_rank

from .batch_augmentations import BatchMultiView

STREAMS = ('joint', 'motion', 'bone')


def skeleton_stream(x: torch.Tensor, stream: str,
                    bone_pairs: Optional[List[Tuple[int, int]]] = None
                    ) -> torch.Tensor:
    """Joint, motion or bone features of skeletons (..., T, V, C).

    motion: ``x[t + 1] - x[t]``, the last frame zero. bone: each joint minus
    its parent joint, ``bone_pairs`` as (joint, parent), 0-based. The same
    arithmetic as mmaction2's ``ToMotion`` and ``JointToBone``, which only
    take one numpy sample (M, T, V, C), not a batch of tensors on a device.
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
        augment_views (Sequence[Sequence[dict]], optional): Augment on the
            batch's device instead of in the data pipeline: one list of
            skeleton augmentation configs per view (the numpy transforms'
            types and arguments, e.g. ``[normal_view, normal_view,
            extreme_view]``), applied by their batched torch counterparts
            with a draw per sample. Training batches then arrive as
            un-augmented (N, M, T, V, C). Defaults to None: the views come
            augmented from the data pipeline.
        augment_seed (int, optional): Seed of the device augmentations'
            generator, offset by the rank. Defaults to None: torch's
            initial seed, which ``randomness=dict(seed=...)`` sets.
        score_channel (bool): The last input channel is a keypoint score
            (2D skeletons in mmaction2's convention): device augmentations
            leave it a score, and the motion and bone streams carry the mean
            score of the two joints they difference, as mmaction2's
            ``ToMotion`` and ``JointToBone`` do. Defaults to False.

    Inputs: (N, num_views, M, T, V, C); outputs the same shape.
    """

    def __init__(self,
                 stream: str = 'joint',
                 layout: str = 'nturgb+d',
                 augment_views: Optional[Sequence[Sequence[Dict]]] = None,
                 augment_seed: Optional[int] = None,
                 score_channel: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.augment = BatchMultiView(augment_views, score_channel) \
            if augment_views is not None else None
        self.score_channel = score_channel
        self.augment_seed = augment_seed
        self._generator = None
        if stream not in STREAMS:
            raise ValueError(f'Unknown skeleton stream {stream!r}; expected '
                             f'one of {STREAMS}')
        self.stream = stream
        self.bone_pairs = JointToBone(dataset=layout).pairs

    def preprocess(self, inputs, data_samples, training: bool = False):
        inputs, data_samples = super().preprocess(inputs, data_samples,
                                                  training)
        if training and self.augment is not None:
            if inputs.dim() != 5:
                raise ValueError(
                    'SkeletonDataPreprocessor: device augmentation expects '
                    'un-augmented skeletons (N, M, T, V, C) from the data '
                    f'pipeline, got shape {tuple(inputs.shape)}')
            inputs = self.augment(inputs, self._get_generator(inputs.device))
        if self.score_channel and self.stream != 'joint':
            coords, score = inputs[..., :-1], inputs[..., -1:]
            # the mean score of the two joints differenced
            diff = skeleton_stream(score, self.stream, self.bone_pairs) / 2
            if self.stream == 'motion':  # x[t + 1] - x[t]
                score = score + diff
                score[..., -1, :, :] = 0
            else:  # x[joint] - x[parent]
                score = score - diff
            coords = skeleton_stream(coords, self.stream, self.bone_pairs)
            return torch.cat([coords, score], -1), data_samples
        return skeleton_stream(inputs, self.stream,
                               self.bone_pairs), data_samples

    def _get_generator(self, device: torch.device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            seed = self.augment_seed if self.augment_seed is not None \
                else torch.initial_seed()
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed((seed + get_rank()) % 2**63)
        return self._generator
