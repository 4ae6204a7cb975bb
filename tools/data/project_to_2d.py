"""Project a 3D skeleton PoseDataset pickle (camera space, metres) into the
image of a pinhole camera: 2D keypoints in pixels, as a 2D pose estimator
would see the same recordings.

The Kinect skeleton space of the converters here has x to the sensor's
left, y up and z the distance from the sensor, so pixel column
``u = cx - f x / z`` and row ``v = cy - f y / z``. The defaults are the
Kinect v1 colour camera's (640 x 480, f = 525 px). Each annotation gets
``img_shape``, which mmaction2's ``PreNormalize2D`` reads. Absent joints
and persons (all zero) stay zero; a present joint at or behind the camera
(z <= 0) cannot be projected and fails the sample, named.

Example::

    python tools/data/project_to_2d.py data/skeleton/utkinect_3d.pkl \\
        data/skeleton/utkinect_2d.pkl
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (check_output_path,  # noqa: E402
                                 write_pose_pickle)

from aimclr_mm.datasets.pose_validation import load_pose_file  # noqa: E402


def project(keypoint: np.ndarray, focal: float, img_shape) -> np.ndarray:
    """(M, T, V, 3) metres -> (M, T, V, 2) float32 pixels; zero joints
    stay zero.

    Raises:
        ValueError: a present joint has z <= 0.
    """
    height, width = img_shape
    present = np.any(keypoint != 0, axis=-1)
    x, y, z = np.moveaxis(keypoint.astype(np.float64), -1, 0)
    if np.any(present & (z <= 0)):
        raise ValueError(
            f'{int(np.sum(present & (z <= 0)))} joints at or behind the '
            'camera (z <= 0)')
    safe_z = np.where(present, z, 1.)
    u = width / 2 - focal * x / safe_z
    v = height / 2 - focal * y / safe_z
    out = np.stack([u, v], axis=-1) * present[..., None]
    return out.astype(np.float32)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='3D PoseDataset pickle')
    parser.add_argument('out', help='2D PoseDataset pickle to write')
    parser.add_argument('--focal', type=float, default=525.,
                        help='focal length in pixels (default: %(default)s)')
    parser.add_argument('--img-shape', type=int, nargs=2, default=(480, 640),
                        metavar=('HEIGHT', 'WIDTH'),
                        help='image size (default: 480 640)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        check_output_path(args.out)
        data = load_pose_file(args.src)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    annotations, failed = [], []
    for anno in data['annotations']:
        keypoint = anno['keypoint']
        if keypoint.ndim != 4 or keypoint.shape[-1] != 3:
            failed.append(f'{anno.get("frame_dir")}: keypoint '
                          f'{keypoint.shape} is not (M, T, V, 3)')
            continue
        try:
            keypoint = project(keypoint, args.focal, args.img_shape)
        except ValueError as error:
            failed.append(f'{anno.get("frame_dir")}: {error}')
            continue
        annotations.append(
            dict(anno, keypoint=keypoint, img_shape=tuple(args.img_shape)))
    if failed:
        print(f'error: {args.src}: {len(failed)} samples cannot be '
              'projected:\n  ' + '\n  '.join(failed), file=sys.stderr)
        return 1
    write_pose_pickle(args.out, annotations, data['split'] or {})
    print(f'{args.out}: {len(annotations)} sequences projected to '
          f'{args.img_shape[1]} x {args.img_shape[0]} pixels (f = '
          f'{args.focal:g})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
