from .skeleton_data_preprocessor import (SkeletonDataPreprocessor,
                                         skeleton_stream)

__all__ = ['SkeletonDataPreprocessor', 'skeleton_stream']
