from typing import Callable, Dict, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform, Compose

from mmaction.registry import TRANSFORMS
from .utils import get_keypoint, sample_name


@TRANSFORMS.register_module()
class SkeletonMultiView(BaseTransform):
    """Augment one skeleton sequence into several views.

    Each view runs its own pipeline on its own shallow copy of the results,
    so every view gets an independent random draw (seeded augmentations must
    not share a seed across views). The arrays are shared, not copied: view
    transforms must return new arrays rather than write into their input,
    as all skeleton transforms of this package do. AimCLR uses three views, in this order:
    normal query, normal key, extreme query.

    A ``keypoint_score`` (M, T, V) goes through each view's transforms with
    its keypoints (crops and flips move it, geometric ones leave it) and is
    then appended as the last channel, as mmaction2's ``FormatGCNInput``
    does for 2D GCNs; ``PreNormalizeFrame50(keep_score=False)`` drops it
    before.

    Required keys: ``keypoint`` (M, T, V, C), optional ``keypoint_score``.
    Modified keys: ``keypoint``, now float32 (num_views, M, T, V, C), or
    C + 1 channels with scores; ``keypoint_score`` is removed.

    Args:
        views (Sequence[Sequence[dict | callable]]): One list of transforms
            (configs or instances) per view.

    Example:
        >>> normal = [dict(type='SkeletonTemporalCrop'),
        ...           dict(type='SkeletonShear')]
        >>> extreme = normal + [
        ...     dict(type='SkeletonSpatialFlip'), dict(type='SkeletonRotate'),
        ...     dict(type='SkeletonGaussianNoise'),
        ...     dict(type='SkeletonGaussianBlur'),
        ...     dict(type='SkeletonAxisMask')]
        >>> multi_view = SkeletonMultiView(views=[normal, normal, extreme])
    """

    def __init__(self, views: Sequence[Sequence[Union[dict,
                                                      Callable]]]) -> None:
        if isinstance(views, (dict, str)) or len(views) == 0:
            raise ValueError('SkeletonMultiView: views must be a non-empty '
                             'list of transform lists')
        self.views = []
        seeded = {}
        for i, view in enumerate(views):
            if isinstance(view, dict):
                raise TypeError('SkeletonMultiView: each view must be a list '
                                f'of transforms, got the dict {view}')
            # Built here with mmaction2's registry: mmcv's Compose would look
            # the types up in mmcv's registry, which lacks them.
            transforms = [
                TRANSFORMS.build(t) if isinstance(t, dict) else t for t in view
            ]
            for transform in transforms:
                if getattr(transform, 'seed', None) is None:
                    continue
                key = (type(transform).__name__, transform.seed)
                if seeded.setdefault(key, i) != i:
                    raise ValueError(
                        f'SkeletonMultiView: views {seeded[key]} and {i} both '
                        f'have {key[0]} with seed {key[1]}, so they would '
                        'draw the same augmentation; give each view its own '
                        'seed or none')
            self.views.append(Compose(transforms))

    @property
    def num_views(self) -> int:
        return len(self.views)

    def transform(self, results: Dict) -> Dict:
        get_keypoint(results, 'SkeletonMultiView')
        outputs = []
        for i, view in enumerate(self.views):
            view_results = view(dict(results))
            if view_results is None:
                raise RuntimeError(
                    f'SkeletonMultiView: view {i} returned None for sample '
                    f'{sample_name(results)}')
            keypoint = view_results['keypoint']
            if 'keypoint_score' in view_results:
                keypoint = np.concatenate(
                    (keypoint, view_results['keypoint_score'][..., None]
                     .astype(keypoint.dtype)), axis=-1)
            outputs.append(keypoint)
        shapes = [keypoint.shape for keypoint in outputs]
        if len(set(shapes)) != 1:
            raise ValueError(f'SkeletonMultiView: the views of sample '
                             f'{sample_name(results)} differ in shape: '
                             f'{shapes}')
        results['keypoint'] = np.stack(outputs).astype(np.float32, copy=False)
        results.pop('keypoint_score', None)
        return results

    def __repr__(self) -> str:
        views = ', '.join(repr(view) for view in self.views)
        return f'{self.__class__.__name__}(views=[{views}])'
