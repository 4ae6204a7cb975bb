from .class_balanced_subset import ClassBalancedSubset  # noqa: F401
from .frame50_pose_dataset import Frame50PoseDataset  # noqa: F401
from .knn_dataset import KNNDataset  # noqa: F401
from .pose_validation import InvalidDataError  # noqa: F401
from .skeleton_pose_dataset import SkeletonPoseDataset  # noqa: F401
from .transforms import *  # noqa: F401,F403
