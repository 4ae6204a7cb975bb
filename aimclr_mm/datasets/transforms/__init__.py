from .frame50 import PreNormalizeFrame50
from .multi_view import SkeletonMultiView
from .skeleton_augmentations import (SkeletonAxisMask, SkeletonGaussianBlur,
                                     SkeletonGaussianNoise, SkeletonRotate,
                                     SkeletonShear, SkeletonSpatialFlip,
                                     SkeletonTemporalCrop,
                                     SkeletonTemporalFlip)

__all__ = [
    'PreNormalizeFrame50', 'SkeletonMultiView', 'SkeletonShear',
    'SkeletonTemporalCrop', 'SkeletonSpatialFlip', 'SkeletonRotate',
    'SkeletonGaussianNoise', 'SkeletonGaussianBlur', 'SkeletonAxisMask',
    'SkeletonTemporalFlip'
]
