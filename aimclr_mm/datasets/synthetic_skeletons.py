"""A synthetic 3D skeleton action data set in the NTU RGB+D 25-joint layout.

A forward-kinematics body model performs scripted actions (see
:data:`SYNTHETIC_ACTION_CLASSES`). Performers (subjects) differ in body size
and proportions, tempo, movement range, rest posture, dominant hand and the
manner of some actions (a front or a side kick, say). Every sample draws its
own phase, speed, clip length, part of the clip the action fills, resting
posture of the arms it leaves free, unrelated movements in the idle time,
camera view, position, camera tilt and sensor noise. Some samples of
one-person actions hold an idle bystander, so the person count alone does not
give the two-person actions away. Some classes differ only subtly: the left
or the right hand waving, waving or just raising the hand, walking or jogging
in place, shaking hands or handing over an object.

Coordinates follow a Kinect camera: metres, ``y`` up, the body 2-4 m in front
of the sensor along ``z``, a performer facing the frontal camera has the right
shoulder at larger ``x`` than the left one. The result is mmaction2's
``PoseDataset`` annotation dict with NTU-like names ``SsssCcccPpppRrrrAaaa``
(setup, camera, performer, repetition, action; all 1-based) and the splits
``xsub_train``/``xsub_val`` (by performer) and ``xview_train``/``xview_val``
(cameras 2, 3 vs camera 1).
"""
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, NamedTuple

import numpy as np

from .converters.pose_pickle import make_annotation

__all__ = [
    'SYNTHETIC_ACTION_CLASSES', 'ACTIONS', 'ActionSpec', 'Performer',
    'draw_performer', 'forward_kinematics', 'pose_to_joints', 'rest_pose',
    'synthesize_sample', 'make_synthetic_skeletons'
]

FPS = 30
NUM_JOINTS = 25
MIN_FRAMES = 40
MAX_FRAMES = 120
# Horizontal angle of each camera to the performer's facing direction.
CAMERA_ANGLES = (-45.0, 0.0, 45.0)
XVIEW_VAL_CAMERAS = (1, )

# 0-based NTU RGB+D joints; -1 marks the root (base of the spine).
JOINT_PARENTS = (-1, 0, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16,
                 17, 18, 1, 7, 7, 11, 11)

# Rest pose of a 1.75 m adult, as the offset of every joint from its parent
# in the body frame (x: the body's right, y: up, z: the body's back), arms
# hanging with the palms facing the thighs.
REST_OFFSETS = np.array([
    (0.0, 0.0, 0.0),  # 0 base of spine
    (0.0, 0.27, 0.0),  # 1 middle of spine
    (0.0, 0.07, 0.0),  # 2 neck
    (0.0, 0.14, 0.01),  # 3 head
    (-0.17, -0.03, 0.0),  # 4 left shoulder
    (0.0, -0.28, 0.0),  # 5 left elbow
    (0.0, -0.25, 0.0),  # 6 left wrist
    (0.0, -0.07, 0.0),  # 7 left hand
    (0.17, -0.03, 0.0),  # 8 right shoulder
    (0.0, -0.28, 0.0),  # 9 right elbow
    (0.0, -0.25, 0.0),  # 10 right wrist
    (0.0, -0.07, 0.0),  # 11 right hand
    (-0.09, -0.04, 0.0),  # 12 left hip
    (0.0, -0.42, 0.0),  # 13 left knee
    (0.0, -0.41, 0.0),  # 14 left ankle
    (0.0, -0.06, -0.11),  # 15 left foot
    (0.09, -0.04, 0.0),  # 16 right hip
    (0.0, -0.42, 0.0),  # 17 right knee
    (0.0, -0.41, 0.0),  # 18 right ankle
    (0.0, -0.06, -0.11),  # 19 right foot
    (0.0, 0.22, 0.0),  # 20 spine at shoulder level
    (0.0, -0.08, 0.0),  # 21 left hand tip
    (0.0, -0.03, -0.045),  # 22 left thumb
    (0.0, -0.08, 0.0),  # 23 right hand tip
    (0.0, -0.03, -0.045),  # 24 right thumb
])

_TRUNK_JOINTS = (1, 2, 3, 20)
_ARM_JOINTS = (5, 6, 7, 9, 10, 11, 21, 22, 23, 24)
_LEG_JOINTS = (13, 14, 15, 17, 18, 19)
_FOOT_JOINTS = (15, 19)
_ANKLE_JOINTS = (14, 18)
_ANKLE_HEIGHT = 0.07
# Kinect tracks hands and feet worse than the trunk.
_NOISY_JOINTS = (7, 11, 15, 19, 21, 22, 23, 24)
_GLITCHING_PARTS = ((7, 21, 22), (11, 23, 24), (14, 15), (18, 19))


def _fk_order() -> List[int]:
    order, seen = [], set()

    def visit(joint):
        if joint in seen:
            return
        if JOINT_PARENTS[joint] >= 0:
            visit(JOINT_PARENTS[joint])
        seen.add(joint)
        order.append(joint)

    for joint in range(NUM_JOINTS):
        visit(joint)
    return order


_FK_ORDER = _fk_order()

_SIDES = {'l': -1.0, 'r': 1.0}
_ANGLE_NAMES = ('trunk_flex', 'trunk_bend', 'trunk_twist', 'neck_flex') + \
    tuple(f'{side}_{dof}' for side in _SIDES
          for dof in ('shoulder_flex', 'shoulder_abd', 'shoulder_horiz',
                      'shoulder_twist', 'elbow', 'wrist', 'hip_flex',
                      'hip_abd', 'knee', 'ankle'))


def rotation_matrices(axis: int, angle: np.ndarray) -> np.ndarray:
    """Right-handed rotations about a coordinate axis.

    Args:
        axis (int): 0, 1 or 2 for x, y or z.
        angle (np.ndarray): Angles in radians, shape (...).

    Returns:
        np.ndarray: Rotation matrices, shape (..., 3, 3).
    """
    angle = np.asarray(angle, dtype=np.float64)
    cos, sin = np.cos(angle), np.sin(angle)
    i, j = ((1, 2), (2, 0), (0, 1))[axis]
    mat = np.zeros(angle.shape + (3, 3))
    mat[..., axis, axis] = 1.0
    mat[..., i, i] = cos
    mat[..., j, j] = cos
    mat[..., i, j] = -sin
    mat[..., j, i] = sin
    return mat


def forward_kinematics(offsets: np.ndarray, bone_rotations: Dict[int,
                                                                 np.ndarray],
                       root_position: np.ndarray,
                       root_rotation: np.ndarray) -> np.ndarray:
    """Joint positions of a posed skeleton.

    Args:
        offsets (np.ndarray): Rest offset of every joint from its parent,
            shape (V, 3).
        bone_rotations (dict[int, np.ndarray]): For a joint ``j``, the
            rotation (T, 3, 3) of the bone parent -> ``j`` (and all below it)
            in the parent bone's frame. Missing joints keep the rest pose.
        root_position (np.ndarray): Shape (T, 3).
        root_rotation (np.ndarray): Shape (T, 3, 3).

    Returns:
        np.ndarray: Joint positions, shape (T, V, 3).
    """
    num_frames = root_position.shape[0]
    frames = np.empty((num_frames, NUM_JOINTS, 3, 3))
    joints = np.empty((num_frames, NUM_JOINTS, 3))
    for joint in _FK_ORDER:
        parent = JOINT_PARENTS[joint]
        if parent < 0:
            frames[:, joint] = root_rotation
            joints[:, joint] = root_position
            continue
        frame = frames[:, parent]
        if joint in bone_rotations:
            frame = frame @ bone_rotations[joint]
        frames[:, joint] = frame
        joints[:, joint] = joints[:, parent] + frame @ offsets[joint]
    return joints


@dataclass
class Performer:
    """Body and movement style of one person.

    Attributes:
        offsets (np.ndarray): Rest bone offsets in metres, shape (25, 3).
        tempo (float): Speed factor of all movements.
        amplitude (float): Range factor of all movements.
        posture (dict[str, float]): Rest joint angles in degrees.
        manner (dict[str, float]): How the person performs particular
            actions (e.g. how high the hand is raised to wave), each in
            [0, 1].
        dominant_side (str): ``'r'`` or ``'l'``.
    """
    offsets: np.ndarray
    tempo: float
    amplitude: float
    posture: Dict[str, float]
    manner: Dict[str, float]
    dominant_side: str = 'r'


_MANNERS = ('raised_hand', 'clap_height', 'guard', 'crouch_arms', 'arm_swing',
            'bow_depth', 'side_kick', 'arms_sideways', 'reach_height')


def draw_performer(rng: np.random.Generator) -> Performer:
    """Draw a random performer (size, proportions, tempo and style)."""
    height = rng.uniform(0.82, 1.12)
    scale = np.full(NUM_JOINTS, height)
    for group in (_TRUNK_JOINTS, _ARM_JOINTS, _LEG_JOINTS):
        scale[list(group)] *= rng.uniform(0.93, 1.07)
    offsets = REST_OFFSETS * scale[:, None]
    # Shoulder and hip width vary on their own.
    offsets[[4, 8], 0] *= rng.uniform(0.88, 1.12)
    offsets[[12, 16], 0] *= rng.uniform(0.88, 1.12)
    posture = {
        'trunk_flex': rng.uniform(-3, 6),
        'neck_flex': rng.uniform(-5, 12),
    }
    arm_abd, elbow, hip_abd = (rng.uniform(3, 12), rng.uniform(5, 25),
                               rng.uniform(1, 7))
    for side in _SIDES:
        posture[f'{side}_shoulder_abd'] = arm_abd + rng.normal(0, 1.5)
        posture[f'{side}_elbow'] = elbow + rng.normal(0, 3)
        posture[f'{side}_hip_abd'] = hip_abd + rng.normal(0, 1)
        posture[f'{side}_knee'] = rng.uniform(0, 6)
    return Performer(
        offsets=offsets,
        tempo=rng.uniform(0.72, 1.35),
        amplitude=rng.uniform(0.78, 1.15),
        posture=posture,
        manner=dict(zip(_MANNERS, rng.random(len(_MANNERS)))),
        dominant_side='l' if rng.random() < 0.2 else 'r')


@dataclass
class Motion:
    """Timing and manner of one performance.

    Attributes:
        t (np.ndarray): Frame times in seconds, shape (T, ).
        rate (float): Speed factor (performer tempo times sample jitter).
        amplitude (float): Range factor.
        phase (float): Cycle phase of periodic movements in [0, 1).
        start (float): Start of the action in seconds.
        end (float): End of the action in seconds.
        manner (dict[str, float]): The actor's :attr:`Performer.manner`.
        side (str): The actor's acting arm or leg, ``'l'`` or ``'r'``.
    """
    t: np.ndarray
    rate: float
    amplitude: float
    phase: float
    start: float
    end: float
    manner: Dict[str, float]
    side: str = 'r'

    @property
    def other(self) -> str:
        """The side opposite to :attr:`side`."""
        return 'l' if self.side == 'r' else 'r'

    @property
    def envelope(self) -> np.ndarray:
        """Smooth 0 -> 1 -> 0 activity (T, ) from start to end."""
        return self.bump(0.0, 1.0, min(0.4 / self.rate, 0.3))

    def bump(self, rise: float, fall: float, ramp: float) -> np.ndarray:
        """Smooth 0 -> 1 -> 0 (T, ) from ``rise`` to ``fall``.

        All three arguments are fractions of the action's span
        (``end - start``), counted from its start.
        """
        span = self.end - self.start
        return _plateau(self.t, self.start + rise * span,
                        self.start + fall * span, ramp * span)

    def step(self, at: float, ramp: float) -> np.ndarray:
        """Smooth 0 -> 1 (T, ) centred at a fraction ``at`` of the action."""
        span = self.end - self.start
        centre = self.start + at * span
        return _smoothstep((self.t - centre) / (ramp * span) + 0.5)

    def cycle(self, frequency: float) -> np.ndarray:
        """Phase angle (T, ) of a movement at ``frequency * rate`` Hz."""
        return 2 * np.pi * (frequency * self.rate * self.t + self.phase)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """Smooth 0 -> 1 step on [0, 1], constant outside."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _plateau(t: np.ndarray, start: float, end: float,
             ramp: float) -> np.ndarray:
    """Rises from 0 at ``start`` to 1 over ``ramp``, falls to 0 at ``end``."""
    ramp = max(ramp, 1e-3)
    return _smoothstep((t - start) / ramp) * _smoothstep((end - t) / ramp)


def _pulses(t: np.ndarray, period: float, phase: float,
            duty: float) -> np.ndarray:
    """Half-sine pulses (T, ) in [0, 1] lasting ``duty * period`` each."""
    progress = np.mod(t / period + phase, 1.0) / duty
    return np.where(progress < 1.0, np.sin(np.pi * np.minimum(progress, 1.0)),
                    0.0)


# A body pose over time: joint angles in degrees, each of shape (T, ), plus
# 'root' (T, 3), a displacement in the body's own frame, and 'yaw' (T, ) in
# degrees.
Pose = Dict[str, np.ndarray]


def rest_pose(performer: Performer, num_frames: int) -> Pose:
    """The performer standing still for ``num_frames`` frames."""
    pose = {
        name: np.full(num_frames, performer.posture.get(name, 0.0))
        for name in _ANGLE_NAMES
    }
    pose['root'] = np.zeros((num_frames, 3))
    pose['yaw'] = np.zeros(num_frames)
    return pose


def _both(pose: Pose, dof: str, value) -> None:
    for side in _SIDES:
        pose[f'{side}_{dof}'] = pose[f'{side}_{dof}'] + value


def _blend(pose: Pose, name: str, target, weight: np.ndarray) -> None:
    pose[name] = pose[name] * (1 - weight) + target * weight


# Resting arm postures (degrees) besides hanging: hand on the hip, forearm
# across the chest, hand behind the back.
_ARM_POSTURES = (
    dict(shoulder_abd=40, shoulder_twist=-90, elbow=95),
    dict(shoulder_flex=25, shoulder_horiz=-30, shoulder_twist=-40, elbow=110),
    dict(shoulder_flex=-25, shoulder_abd=10, shoulder_twist=-80, elbow=70),
)


def _rest_arms(pose: Pose, sides: str, rng: np.random.Generator) -> None:
    """Put the arms of ``sides`` in a random resting posture."""
    if not sides or rng.random() < 0.4:
        return
    posture = _ARM_POSTURES[rng.integers(len(_ARM_POSTURES))]
    for side in sides:
        for dof, angle in posture.items():
            pose[f'{side}_{dof}'] = np.full_like(pose[f'{side}_{dof}'],
                                                 angle + rng.normal(0, 5))


def _add_idle_motion(pose: Pose, t: np.ndarray,
                     rng: np.random.Generator) -> None:
    """Sway, fidgeting and slow drift of a person standing."""
    freq = rng.uniform(0.15, 0.45, size=6)
    phase = rng.uniform(0, 2 * np.pi, size=6)
    wave = np.sin(2 * np.pi * freq[:, None] * t + phase[:, None])
    drift = t / t[-1]
    pose['root'][:, 0] += (
        rng.uniform(0.003, 0.015) * wave[0] + rng.normal(0, 0.06) * drift)
    pose['root'][:, 2] += (
        rng.uniform(0.003, 0.015) * wave[1] + rng.normal(0, 0.06) * drift)
    pose['yaw'] += rng.normal(0, 8) * drift
    pose['trunk_bend'] += rng.uniform(0.5, 2.0) * wave[2]
    pose['neck_flex'] += rng.uniform(1.0, 4.0) * wave[3]
    pose['l_shoulder_flex'] += rng.uniform(1.0, 4.0) * wave[4]
    pose['r_shoulder_flex'] += rng.uniform(1.0, 4.0) * wave[5]


def _add_distraction(pose: Pose, t: np.ndarray, start: float, end: float,
                     rng: np.random.Generator) -> None:
    """A short unrelated movement between ``start`` and ``end`` seconds.

    Looking around, stepping aside, shifting weight or touching the face;
    they fill idle time before or after the action in any class.
    """
    length = min(end - start, rng.uniform(0.5, 1.2))
    begin = rng.uniform(start, end - length)
    bump = _plateau(t, begin, begin + length, 0.35 * length)
    side = 'lr'[rng.integers(2)]
    sign = _SIDES[side]
    kind = rng.integers(4)
    if kind == 0:
        pose['trunk_twist'] += bump * sign * rng.uniform(15, 35)
    elif kind == 1:
        shift = _smoothstep((t - begin) / length)
        pose['root'][:, 0] += shift * sign * rng.uniform(0.1, 0.25)
        pose[f'{side}_hip_abd'] += bump * 15
    elif kind == 2:
        pose['trunk_bend'] += bump * sign * rng.uniform(4, 10)
        pose['root'][:, 0] += bump * sign * rng.uniform(0.02, 0.06)
    else:
        pose[f'{side}_shoulder_flex'] += bump * 45
        pose[f'{side}_shoulder_horiz'] -= bump * 20
        _blend(pose, f'{side}_elbow', 135, bump)


# Actions. Each takes the poses of the persons in the scene (actor first)
# and the actor's motion, and adds its movement to the poses.


def _raise_hand(pose: Pose, side: str, m: Motion, raised: np.ndarray) -> None:
    """Hand up beside the head, forearm vertical; ``raised`` in [0, 1]."""
    high = m.manner['raised_hand']
    pose[f'{side}_shoulder_abd'] += raised * (70 + 50 * high) * m.amplitude
    pose[f'{side}_shoulder_flex'] += raised * 15
    # External rotation turns the bent forearm upwards, so the elbow moves
    # it in the frontal plane.
    pose[f'{side}_shoulder_twist'] += raised * 90
    _blend(pose, f'{side}_elbow', 100 - 60 * high, raised)


def _wave(poses: List[Pose], m: Motion) -> None:
    pose, env = poses[0], m.envelope
    _raise_hand(pose, m.side, m, env)
    swing = env * np.sin(m.cycle(1.8))
    pose[f'{m.side}_elbow'] += swing * 35 * m.amplitude
    pose[f'{m.side}_wrist'] += swing * 15


def _raise_hand_once(poses: List[Pose], m: Motion) -> None:
    _raise_hand(poses[0], m.side, m, m.bump(0.0, 1.0, 0.3))


def _clap(poses: List[Pose], m: Motion) -> None:
    pose, env = poses[0], m.envelope
    together = 0.5 + 0.5 * np.cos(m.cycle(2.2))
    _both(pose, 'shoulder_flex', env * (50 + 45 * m.manner['clap_height']))
    _blend(pose, 'l_elbow', 40 + 20 * (1 - together), env)
    _blend(pose, 'r_elbow', 40 + 20 * (1 - together), env)
    _both(pose, 'shoulder_horiz',
          env * (-28 + (28 + 30 * m.amplitude) * (1 - together)))


def _punch(poses: List[Pose], m: Motion) -> None:
    pose, env = poses[0], m.envelope
    arm, other = m.side, m.other
    # Fists up in front of the chest, or only the punching one.
    guard = env * m.manner['guard']
    _both(pose, 'shoulder_horiz', -guard * 10)
    pose[f'{other}_shoulder_flex'] += guard * 35
    _blend(pose, f'{other}_elbow', 115, guard)
    pose[f'{arm}_shoulder_flex'] += env * 35
    _blend(pose, f'{arm}_elbow', 115, env)
    strike = env * _pulses(m.t, 0.7 / m.rate, m.phase, 0.45)
    pose[f'{arm}_shoulder_flex'] += strike * 50 * m.amplitude
    pose[f'{arm}_elbow'] -= strike * 100 * min(m.amplitude, 1.0)
    pose[f'{arm}_shoulder_horiz'] -= strike * 5
    # Turn the punching shoulder forwards.
    pose['trunk_twist'] += strike * 12 * _SIDES[arm]


def _reach_forward(poses: List[Pose], m: Motion) -> None:
    pose = poses[0]
    reach = m.bump(0.0, 1.0, 0.35)
    # From pointing at shoulder height to reaching down to a table.
    low = m.manner['reach_height']
    pose[f'{m.side}_shoulder_flex'] += reach * (85 - 40 * low) * m.amplitude
    _blend(pose, f'{m.side}_elbow', 10, reach)
    pose['trunk_flex'] += reach * (5 + 20 * low)


def _kick(poses: List[Pose], m: Motion) -> None:
    pose, env = poses[0], m.envelope
    kick = env * _pulses(m.t, 1.3 / m.rate, m.phase, 0.6)
    # A front kick, or a side kick for some performers.
    side_kick = float(m.manner['side_kick'] > 0.7)
    pose[f'{m.side}_hip_flex'] += kick * 75 * m.amplitude * (1 - side_kick)
    pose[f'{m.side}_hip_abd'] += kick * 55 * m.amplitude * side_kick
    pose['trunk_bend'] -= kick * 15 * _SIDES[m.side] * side_kick
    # Chamber the knee, extend it at the top of the kick, chamber again.
    pose[f'{m.side}_knee'] += 90 * kick - 80 * kick**6
    _both(pose, 'shoulder_abd', kick * 20)
    pose['trunk_flex'] -= kick * 10


def _crouch(pose: Pose, m: Motion, depth: np.ndarray) -> None:
    """Squat down by ``depth`` in [0, 1]."""
    _both(pose, 'hip_flex', depth * 95 * m.amplitude)
    _both(pose, 'knee', depth * 115 * m.amplitude)
    _both(pose, 'shoulder_flex', depth * 80 * m.manner['crouch_arms'])
    pose['trunk_flex'] += depth * 30


def _crouch_down(poses: List[Pose], m: Motion) -> None:
    _crouch(poses[0], m, m.step(0.5, 0.6))


def _stand_up(poses: List[Pose], m: Motion) -> None:
    _crouch(poses[0], m, 1 - m.step(0.5, 0.6))


def _jump(poses: List[Pose], m: Motion) -> None:
    pose, env = poses[0], m.envelope
    progress = np.mod(m.cycle(0.9) / (2 * np.pi), 1.0)
    takeoff = np.where(progress < 0.35, np.sin(np.pi * progress / 0.35), 0)
    landing = np.where(progress >= 0.75,
                       np.sin(np.pi * (progress - 0.75) / 0.25), 0)
    flight = np.where((progress >= 0.35) & (progress < 0.75),
                      np.sin(np.pi * (progress - 0.35) / 0.4), 0)
    crouch = env * (takeoff + 0.7 * landing)
    flight = env * flight
    swing = 0.2 + 0.8 * m.manner['arm_swing']
    _both(pose, 'knee', crouch * 70 * m.amplitude)
    _both(pose, 'hip_flex', crouch * 55 * m.amplitude)
    _both(pose, 'ankle', flight * 30)
    _both(pose, 'shoulder_flex', swing * (flight * 140 - crouch * 30))
    pose['trunk_flex'] += crouch * 20
    pose['root'][:, 1] += flight * 0.25 * m.amplitude


def _bow(poses: List[Pose], m: Motion) -> None:
    pose = poses[0]
    bow = m.bump(0.0, 1.0, 0.35) * (35 + 45 * m.manner['bow_depth'])
    pose['trunk_flex'] += bow * m.amplitude
    pose['neck_flex'] += bow * 0.2
    # The arms keep hanging down.
    _both(pose, 'shoulder_flex', bow * 0.7 * m.amplitude)


def _raise_both_arms(poses: List[Pose], m: Motion) -> None:
    pose = poses[0]
    raised = m.bump(0.0, 1.0, 0.35)
    angle = raised * min(165 * m.amplitude, 178)
    # Up in front of the body or out to the sides.
    sideways = float(m.manner['arms_sideways'] > 0.6)
    _both(pose, 'shoulder_flex', angle * (1 - sideways))
    _both(pose, 'shoulder_abd', angle * sideways + raised * 10)
    _blend(pose, 'l_elbow', 5, raised)
    _blend(pose, 'r_elbow', 5, raised)


def _step_in_place(poses: List[Pose], m: Motion, frequency: float, hip: float,
                   knee: float, elbow: float, arm_swing: float,
                   bounce: float) -> None:
    pose, env = poses[0], m.envelope
    stride = np.sin(m.cycle(frequency))
    lifts = dict(l=np.maximum(stride, 0), r=np.maximum(-stride, 0))
    for side, lift in lifts.items():
        pose[f'{side}_hip_flex'] += env * lift * hip * m.amplitude
        pose[f'{side}_knee'] += env * lift * knee * m.amplitude
        _blend(pose, f'{side}_elbow', elbow, env)
    # Arms swing against the legs.
    swing = env * arm_swing * m.amplitude * (0.4 + m.manner['arm_swing'])
    pose['l_shoulder_flex'] -= swing * stride
    pose['r_shoulder_flex'] += swing * stride
    pose['trunk_bend'] += env * 3 * stride
    pose['root'][:, 1] += env * bounce * m.amplitude * np.abs(stride)


def _handshake(poses: List[Pose], m: Motion) -> None:
    reach = m.bump(0.0, 1.0, 0.25)
    shake = reach**3 * np.sin(m.cycle(2.5))
    for pose in poses:
        pose['r_shoulder_flex'] += reach * 50 + shake * 8 * m.amplitude
        pose['r_shoulder_horiz'] -= reach * 22
        _blend(pose, 'r_elbow', 30 + shake * 12 * m.amplitude, reach)


def _give_object(poses: List[Pose], m: Motion) -> None:
    # The giver reaches out first and withdraws while the taker still holds.
    giver = m.bump(0.0, 0.65, 0.2)
    taker = m.bump(0.25, 1.0, 0.2)
    for pose, reach, arm in zip(poses, (giver, taker), (m.side, 'r')):
        pose[f'{arm}_shoulder_flex'] += reach * 55
        pose[f'{arm}_shoulder_horiz'] -= reach * 22
        _blend(pose, f'{arm}_elbow', 25, reach)


def _push(poses: List[Pose], m: Motion) -> None:
    pusher, pushed = poses
    contact = m.start + 0.45 * (m.end - m.start)
    beat = 0.5 / m.rate
    raised = _smoothstep(
        (m.t - contact + 2 * beat) / beat) * m.bump(0.0, 1.0, 0.3)
    thrust = np.exp(-((m.t - contact) / (0.35 * beat))**2)
    _both(pusher, 'shoulder_flex', raised * 75)
    _blend(pusher, 'l_elbow', 100 * (1 - thrust), raised)
    _blend(pusher, 'r_elbow', 100 * (1 - thrust), raised)
    pusher['trunk_flex'] += thrust * 15
    pusher['root'][:, 2] -= 0.15 * _smoothstep((m.t - contact + beat) / beat)
    recoil = _smoothstep((m.t - contact) / beat)
    pushed['root'][:, 2] += 0.45 * m.amplitude * recoil
    reel = np.exp(-((m.t - contact - 0.5 * beat) / beat)**2)
    pushed['trunk_flex'] -= reel * 20
    _both(pushed, 'shoulder_abd', reel * 25)


class ActionSpec(NamedTuple):
    """An action class.

    Attributes:
        name (str): Class name.
        movement (callable): ``movement(poses, motion)`` adds the action to
            the poses of the persons taking part (actor first).
        num_persons (int): Persons taking part, 1 or 2.
        side (str): The actor's acting limb: ``'l'``, ``'r'`` or
            ``'dominant'`` (the performer's dominant hand or foot).
        free_arms (str): The actor's arms that the action leaves alone,
            ``'none'``, ``'other'`` (opposite to the acting side) or
            ``'both'``; they may rest on the hip, across the chest or behind
            the back.
    """
    name: str
    movement: Callable[[List[Pose], Motion], None]
    num_persons: int = 1
    side: str = 'dominant'
    free_arms: str = 'none'


ACTIONS = (
    ActionSpec('wave right hand', _wave, side='r', free_arms='other'),
    ActionSpec('wave left hand', _wave, side='l', free_arms='other'),
    ActionSpec('raise hand', _raise_hand_once, free_arms='other'),
    ActionSpec('clap', _clap),
    ActionSpec('punch', _punch),
    ActionSpec('reach forward', _reach_forward, free_arms='other'),
    ActionSpec('kick', _kick, free_arms='both'),
    ActionSpec('crouch down', _crouch_down),
    ActionSpec('stand up', _stand_up),
    ActionSpec('jump', _jump),
    ActionSpec('bow', _bow),
    ActionSpec('raise both arms', _raise_both_arms),
    ActionSpec(
        'walk in place',
        partial(
            _step_in_place,
            frequency=0.9,
            hip=40,
            knee=65,
            elbow=15,
            arm_swing=18,
            bounce=0.0)),
    ActionSpec(
        'jog in place',
        partial(
            _step_in_place,
            frequency=1.5,
            hip=30,
            knee=95,
            elbow=75,
            arm_swing=25,
            bounce=0.035)),
    ActionSpec('handshake', _handshake, 2, side='r', free_arms='other'),
    ActionSpec('push', _push, 2),
    ActionSpec('give object', _give_object, 2, free_arms='other'),
)
SYNTHETIC_ACTION_CLASSES = tuple(action.name for action in ACTIONS)


def _bone_rotations(pose: Pose) -> Dict[int, np.ndarray]:
    """Bone rotations (T, 3, 3) of a pose, see :func:`forward_kinematics`."""
    rad = {name: np.radians(pose[name]) for name in _ANGLE_NAMES}
    rot_x = partial(rotation_matrices, 0)
    rot_y = partial(rotation_matrices, 1)
    rot_z = partial(rotation_matrices, 2)
    # Forward flexion turns the spine's +y towards -z, a negative x rotation.
    half_trunk = (
        rot_y(rad['trunk_twist'] / 2) @ rot_z(-rad['trunk_bend'] / 2) @ rot_x(
            -rad['trunk_flex'] / 2))
    half_neck = rot_x(-rad['neck_flex'] / 2)
    bones = {1: half_trunk, 20: half_trunk, 2: half_neck, 3: half_neck}
    arm_joints = dict(l=(5, 6, 7), r=(9, 10, 11))
    leg_joints = dict(l=(13, 14, 15), r=(17, 18, 19))
    for side, sign in _SIDES.items():
        elbow, wrist, hand = arm_joints[side]
        # Positive abduction and horizontal abduction move the arm outwards
        # (towards +x on the right, -x on the left).
        bones[elbow] = (
            rot_y(-sign * rad[f'{side}_shoulder_horiz']) @ rot_z(
                sign * rad[f'{side}_shoulder_abd']) @ rot_x(
                    rad[f'{side}_shoulder_flex']) @ rot_y(
                        -sign * rad[f'{side}_shoulder_twist']))
        bones[wrist] = rot_x(rad[f'{side}_elbow'])
        bones[hand] = rot_x(rad[f'{side}_wrist'])
        knee, ankle, foot = leg_joints[side]
        bones[knee] = (
            rot_z(sign * rad[f'{side}_hip_abd']) @ rot_x(
                rad[f'{side}_hip_flex']))
        bones[ankle] = rot_x(-rad[f'{side}_knee'])
        # Keep the sole level unless the ankle points the toes down.
        bones[foot] = rot_x(rad[f'{side}_knee'] - rad[f'{side}_hip_flex'] -
                            rad[f'{side}_ankle'])
    return bones


def pose_to_joints(pose: Pose, offsets: np.ndarray) -> np.ndarray:
    """Joints of a pose in its body frame, standing on the floor ``y = 0``.

    Args:
        pose (dict): See :func:`rest_pose`.
        offsets (np.ndarray): Rest bone offsets, shape (25, 3).

    Returns:
        np.ndarray: Shape (T, 25, 3); ``pose['root'][:, 1]`` lifts the body
        off the floor.
    """
    root = pose['root'].copy()
    root[:, 1] = 0
    joints = forward_kinematics(offsets, _bone_rotations(pose), root,
                                rotation_matrices(1, np.radians(pose['yaw'])))
    floor = np.minimum(
        joints[:, _FOOT_JOINTS, 1].min(1), joints[:, _ANKLE_JOINTS, 1].min(1) -
        _ANKLE_HEIGHT * offsets[13, 1] / REST_OFFSETS[13, 1])
    joints[..., 1] += (pose['root'][:, 1] - floor)[:, None]
    return joints


def _place(joints: np.ndarray, x: float, z: float,
           yaw_degrees: float) -> np.ndarray:
    """Turn a body about the vertical and move it to (x, 0, z)."""
    rotation = rotation_matrices(1, np.radians(yaw_degrees))
    return joints @ rotation.T + np.array([x, 0.0, z])


def _view_from_camera(scene: np.ndarray, camera: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Scene joints (M, T, V, 3) in the coordinates of a Kinect camera."""
    yaw = CAMERA_ANGLES[camera - 1] + rng.normal(0, 5)
    position = np.array([
        rng.uniform(-0.4, 0.4), -rng.uniform(0.7, 1.2),
        rng.uniform(2.3, 3.6)
    ])
    tilt = rotation_matrices(0, np.radians(rng.uniform(-8, 8)))
    rotation = tilt @ rotation_matrices(1, np.radians(yaw))
    return (scene @ rotation.T) + tilt @ position


def _add_sensor_noise(keypoint: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    sigma = np.full(NUM_JOINTS, rng.uniform(0.005, 0.025))
    sigma[list(_NOISY_JOINTS)] *= 2
    keypoint = keypoint + rng.normal(size=keypoint.shape) * sigma[:, None]
    # Occasional tracking glitch: a hand or foot jumps for a few frames.
    if rng.random() < 0.3:
        num_frames = keypoint.shape[1]
        length = rng.integers(3, 9)
        start = rng.integers(0, num_frames - length)
        joints = _GLITCHING_PARTS[rng.integers(len(_GLITCHING_PARTS))]
        keypoint[0, start:start + length,
                 list(joints)] += rng.normal(
                     0, 0.08, size=3)
    return keypoint


def _acting_side(action: ActionSpec, performer: Performer,
                 rng: np.random.Generator) -> str:
    if action.side != 'dominant':
        return action.side
    # Now and then people use their other hand or foot.
    if rng.random() < 0.15:
        return 'l' if performer.dominant_side == 'r' else 'r'
    return performer.dominant_side


def synthesize_sample(label: int, performer: Performer, camera: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Skeleton sequence of one performance.

    Args:
        label (int): Index into :data:`SYNTHETIC_ACTION_CLASSES`.
        performer (Performer): The actor.
        camera (int): 1-based index into :data:`CAMERA_ANGLES`.
        rng (np.random.Generator): Source of all per-sample variation.

    Returns:
        np.ndarray: ``keypoint`` of shape (M, T, 25, 3), float32, M in {1, 2},
        T in [MIN_FRAMES, MAX_FRAMES].
    """
    action = ACTIONS[label]
    num_actors = action.num_persons
    num_frames = int(rng.integers(MIN_FRAMES, MAX_FRAMES + 1))
    t = np.arange(num_frames) / FPS
    duration = num_frames / FPS
    # The action fills a random part of the clip; the rest is standing.
    active = rng.uniform(0.55, 0.95) * duration
    start = rng.uniform(0.0, duration - active)
    motion = Motion(
        t=t,
        rate=performer.tempo * rng.uniform(0.85, 1.15),
        amplitude=performer.amplitude * rng.uniform(0.9, 1.1),
        phase=rng.random(),
        start=start,
        end=start + active,
        manner=performer.manner,
        side=_acting_side(action, performer, rng))

    people = [performer]
    if num_actors == 2 or rng.random() < 0.2:
        people.append(draw_performer(rng))
    poses = [rest_pose(person, num_frames) for person in people]
    free_arms = {
        'none': '',
        'other': motion.other,
        'both': 'lr'
    }[action.free_arms]
    # The partner acts with the right arm; a bystander with none.
    partner_free_arms = 'l' if action.free_arms != 'none' else ''
    for pose, arms in zip(
            poses,
        (free_arms, partner_free_arms if num_actors == 2 else 'lr')):
        _rest_arms(pose, arms, rng)
        _add_idle_motion(pose, t, rng)
    idle_start, idle_end = max((0.0, start), (start + active, duration),
                               key=lambda window: window[1] - window[0])
    if idle_end - idle_start > 0.5 and rng.random() < 0.7:
        _add_distraction(poses[0], t, idle_start, idle_end, rng)
    action.movement(poses[:num_actors], motion)

    bodies = [
        pose_to_joints(pose, person.offsets)
        for pose, person in zip(poses, people)
    ]
    if num_actors == 2:
        # Face each other along x; the partner's right hand is then within
        # reach of the actor's right hand.
        distance = rng.uniform(0.8, 1.05)
        bodies[0] = _place(bodies[0], -distance / 2, 0.0, -90)
        bodies[1] = _place(bodies[1], distance / 2, 0.0, 90)
    elif len(bodies) == 2:
        # An idle bystander beside and behind the actor.
        bodies[1] = _place(bodies[1],
                           rng.choice([-1, 1]) * rng.uniform(1.0, 1.8),
                           rng.uniform(0.3, 1.5), rng.uniform(-30, 30))
    if num_actors == 2 and rng.random() < 0.5:
        # Skeleton trackers list the two persons in no particular order.
        bodies.reverse()
    keypoint = _view_from_camera(np.stack(bodies), camera, rng)
    return _add_sensor_noise(keypoint, rng).astype(np.float32)


def _sample_name(camera: int, performer: int, repetition: int,
                 label: int) -> str:
    """NTU-like ``frame_dir`` name; all arguments 0-based except camera."""
    return (f'S001C{camera:03d}P{performer + 1:03d}R{repetition + 1:03d}'
            f'A{label + 1:03d}')


def make_synthetic_skeletons(num_subjects: int = 10,
                             samples_per_class: int = 40,
                             seed: int = 0,
                             train_subject_ratio: float = 0.6) -> Dict:
    """Build the synthetic data set as a ``PoseDataset`` annotation dict.

    Samples of class ``c`` go to performers round-robin; the cameras cycle
    over a performer's repetitions. Each sample has its own random stream
    derived from ``(seed, label, performer, repetition)``.

    Args:
        num_subjects (int): Number of performers, at least 2.
        samples_per_class (int): Samples of every action class.
        seed (int): Random seed; equal arguments give equal data.
        train_subject_ratio (float): Share of the performers in
            ``xsub_train``; at least one performer is left to each split.

    Returns:
        dict: ``split`` (``xsub_train``, ``xsub_val``, ``xview_train``,
        ``xview_val``: lists of ``frame_dir``) and ``annotations`` (dicts
        with ``frame_dir``, ``label``, ``total_frames`` and ``keypoint``
        (M, T, 25, 3) float32).
    """
    if num_subjects < 2:
        raise ValueError('num_subjects must be at least 2 for the xsub split')
    if seed < 0:
        raise ValueError('seed must be non-negative')
    if samples_per_class < 1:
        raise ValueError('samples_per_class must be positive')
    # NTU names hold three digits per field.
    if num_subjects > 999 or samples_per_class > 999 * num_subjects:
        raise ValueError('at most 999 subjects and 999 repetitions of a '
                         'class per subject')
    performers = [
        draw_performer(np.random.default_rng([seed, 0, subject]))
        for subject in range(num_subjects)
    ]
    num_train = int(round(train_subject_ratio * num_subjects))
    num_train = min(max(num_train, 1), num_subjects - 1)

    annotations = []
    split = {
        name: []
        for name in ('xsub_train', 'xsub_val', 'xview_train', 'xview_val')
    }
    for label in range(len(ACTIONS)):
        for index in range(samples_per_class):
            subject, repetition = index % num_subjects, index // num_subjects
            camera = (repetition + subject) % len(CAMERA_ANGLES) + 1
            rng = np.random.default_rng([seed, 1, label, subject, repetition])
            keypoint = synthesize_sample(label, performers[subject], camera,
                                         rng)
            name = _sample_name(camera, subject, repetition, label)
            annotations.append(make_annotation(name, label, keypoint))
            split['xsub_train' if subject < num_train else 'xsub_val'].append(
                name)
            split['xview_val' if camera in
                  XVIEW_VAL_CAMERAS else 'xview_train'].append(name)
    return dict(split=split, annotations=annotations)
