"""The built-in synthetic skeleton data set: ten everyday actions of a
kinematic body in the NTU RGB+D 25-joint layout, recorded as a Kinect
records them.

The classes are those of UTKinect-Action3D (:data:`ACTION_CLASSES`) and,
as there, they share sub-motions: walk and carry the same gait, sit down
and stand up the same postures in opposite order, push and pull the same
arm extension with opposite timing, pick up the knee bend of sitting, wave
and throw a raised arm. What varies is what varies between real
recordings, and what the pretraining augmentations are meant to make an
encoder invariant to:

- performers (the cross-subject split): body size and proportions, a
  dominant hand, posture, tempo and amplitude of their movements;
- recordings: camera yaw, pitch (mounting height) and distance, when in the
  clip the action starts, how fast and how wide this repetition is;
- the sensor: jitter, most on hands and feet, and tracking glitches in
  which a joint freezes or jumps onto the body for a few frames.

Each sample has its own random stream derived from ``(seed, performer,
label, repetition)``, so equal arguments give equal data.
"""
from typing import Dict, List, NamedTuple

import numpy as np

FPS = 30
NUM_JOINTS = 25
ACTION_CLASSES = ('walk', 'sit_down', 'stand_up', 'pick_up', 'carry',
                  'throw', 'push', 'pull', 'wave_hands', 'clap_hands')
# Camera yaw (degrees) of the three recording positions; camera 2 is the
# cross-view validation view.
CAMERA_YAWS = (-45.0, 0.0, 45.0)
XVIEW_VAL_CAMERA = 2

# 0-based NTU RGB+D joints
(SPINE_BASE, SPINE_MID, NECK, HEAD, L_SHOULDER, L_ELBOW, L_WRIST, L_HAND,
 R_SHOULDER, R_ELBOW, R_WRIST, R_HAND, L_HIP, L_KNEE, L_ANKLE, L_FOOT, R_HIP,
 R_KNEE, R_ANKLE, R_FOOT, SPINE_SHOULDER, L_HAND_TIP, L_THUMB, R_HAND_TIP,
 R_THUMB) = range(NUM_JOINTS)
ARM_JOINTS = dict(l=(L_SHOULDER, L_ELBOW, L_WRIST, L_HAND, L_HAND_TIP,
                     L_THUMB),
                  r=(R_SHOULDER, R_ELBOW, R_WRIST, R_HAND, R_HAND_TIP,
                     R_THUMB))
LEG_JOINTS = dict(l=(L_HIP, L_KNEE, L_ANKLE, L_FOOT),
                  r=(R_HIP, R_KNEE, R_ANKLE, R_FOOT))
EXTREMITIES = (L_HAND, R_HAND, L_HAND_TIP, R_HAND_TIP, L_THUMB, R_THUMB,
               L_FOOT, R_FOOT, L_WRIST, R_WRIST, L_ANKLE, R_ANKLE)


class Performer(NamedTuple):
    """One subject: segment lengths (m), handedness and manner."""
    spine: float  # spine base to spine shoulder
    shoulder_width: float
    hip_width: float
    upper_arm: float
    forearm: float
    thigh: float
    shin: float
    dominant: str  # 'l' or 'r'
    hunch: float  # trunk pitch at rest (rad)
    tempo: float  # scales the duration of every action
    amplitude: float  # scales the joint angles of every action
    arm_rest: float  # shoulder abduction at rest (rad)


def draw_performer(rng: np.random.Generator) -> Performer:
    """A subject from 1.45 m to 1.95 m tall with individual proportions."""
    height = rng.uniform(1.45, 1.95)
    part = lambda share: height * share * rng.uniform(0.92, 1.08)  # noqa
    return Performer(
        spine=part(0.29), shoulder_width=part(0.22), hip_width=part(0.12),
        upper_arm=part(0.17), forearm=part(0.15), thigh=part(0.245),
        shin=part(0.235), dominant='l' if rng.random() < 0.2 else 'r',
        hunch=rng.uniform(-0.05, 0.2), tempo=rng.uniform(0.75, 1.35),
        amplitude=rng.uniform(0.8, 1.15), arm_rest=rng.uniform(0.05, 0.3))


class Pose:
    """Joint angles (rad) over T frames, all zero at the upright rest pose.

    Trunk pitch leans forward; shoulder flexion raises the arm forward (pi/2
    horizontal, pi overhead), abduction sideways; elbow and knee flexion
    bend the limb; hip flexion raises the thigh forward; ``drop`` lowers the
    pelvis (m) beyond what keeping the feet on the ground needs.
    """

    def __init__(self, num_frames: int, performer: Performer):
        zeros = lambda: np.zeros(num_frames)  # noqa: E731
        self.trunk = zeros() + performer.hunch
        self.arm = {s: dict(flex=zeros(), abd=zeros() + performer.arm_rest,
                            elbow=zeros() + 0.15) for s in 'lr'}
        self.leg = {s: dict(flex=zeros(), knee=zeros()) for s in 'lr'}
        self.forward = zeros()  # pelvis travel (m) along the facing


def _smooth(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _bump(u, start=0.0, end=1.0):
    """0 outside [start, end], rising to 1 and back as a sine squared."""
    x = np.clip((u - start) / (end - start), 0.0, 1.0)
    return np.sin(np.pi * x)**2


def _gait(pose: Pose, u, a, steps, arms=True):
    phase = 2 * np.pi * steps * u
    for sign, s in ((1, 'l'), (-1, 'r')):
        swing = sign * np.sin(phase)
        pose.leg[s]['flex'] += 0.4 * a * swing
        pose.leg[s]['knee'] += 0.6 * a * np.clip(
            np.sin(phase + sign * np.pi / 2 + np.pi / 2), 0, None)
        if arms:
            pose.arm[s]['flex'] -= 0.35 * a * swing
            pose.arm[s]['elbow'] += 0.2
    pose.forward += 0.7 * steps * u


def _walk(pose, u, a, side, rng):
    _gait(pose, u, a, steps=rng.uniform(1.5, 2.5))


def _carry(pose, u, a, side, rng):
    _gait(pose, u, 0.8 * a, steps=rng.uniform(1.5, 2.5), arms=False)
    pose.trunk -= 0.08
    for s in 'lr':
        pose.arm[s]['flex'][:] = 0.7 * a
        pose.arm[s]['abd'][:] = 0.15
        pose.arm[s]['elbow'][:] = 1.1


def _sit(pose, u, a, depth):
    """Seated by ``depth`` (0 standing, 1 seated); the trunk leans forward
    while the seat moves."""
    moving = np.gradient(depth)
    lean = _smooth(np.abs(moving) / (np.abs(moving).max() + 1e-9))
    for s in 'lr':
        pose.leg[s]['flex'] += 1.45 * depth
        pose.leg[s]['knee'] += 1.5 * depth
        pose.arm[s]['flex'] += 0.35 * a * lean
    pose.trunk += 0.55 * a * lean + 0.1 * depth


def _sit_down(pose, u, a, side, rng):
    _sit(pose, u, a, _smooth((u - 0.1) / 0.7))


def _stand_up(pose, u, a, side, rng):
    _sit(pose, u, a, 1 - _smooth((u - 0.2) / 0.7))


def _pick_up(pose, u, a, side, rng):
    bend = _bump(u, 0.05, 0.95)
    pose.trunk += 0.95 * a * bend
    for s in 'lr':
        pose.leg[s]['flex'] += 0.5 * bend
        pose.leg[s]['knee'] += 0.9 * bend
    reach = pose.arm[side]
    reach['flex'] += 0.5 * bend
    reach['elbow'] += 0.2 * bend


def _throw(pose, u, a, side, rng):
    windup = _smooth((u - 0.1) / 0.4) * (1 - _smooth((u - 0.55) / 0.12))
    release = _smooth((u - 0.55) / 0.12) * (1 - _smooth((u - 0.75) / 0.2))
    arm = pose.arm[side]
    arm['flex'] += a * (2.7 * windup + 1.5 * release)
    arm['abd'] += 0.4 * windup
    arm['elbow'] += 1.7 * windup + 0.1 * release
    pose.trunk += a * (-0.15 * windup + 0.35 * release)
    other = 'l' if side == 'r' else 'r'
    pose.leg[other]['flex'] += 0.35 * (windup + release)
    pose.arm[other]['flex'] += 0.5 * windup


def _push_pull(pose, u, a, extend):
    for s in 'lr':
        pose.arm[s]['flex'] += a * (0.5 + 0.95 * extend)
        pose.arm[s]['abd'] += 0.1
        pose.arm[s]['elbow'] += 2.0 * (1 - extend) * _bump(u, 0.0, 1.0)**0.3
    pose.leg['l']['flex'] += 0.25 * _bump(u, 0.05, 0.95)


def _push(pose, u, a, side, rng):
    # from the chest, out fast, held, back slowly
    extend = _smooth((u - 0.2) / 0.15) * (1 - _smooth((u - 0.6) / 0.35))
    _push_pull(pose, u, a, extend)
    pose.trunk += 0.25 * a * extend


def _pull(pose, u, a, side, rng):
    # out slowly, held, back fast with the body leaning back
    extend = _smooth((u - 0.05) / 0.35) * (1 - _smooth((u - 0.6) / 0.15))
    _push_pull(pose, u, a, extend)
    back = _bump(u, 0.55, 0.95)
    pose.trunk += 0.15 * a * extend - 0.3 * a * back


def _wave_hands(pose, u, a, side, rng):
    raised = _smooth((u - 0.05) / 0.2) * (1 - _smooth((u - 0.75) / 0.2))
    waves = np.sin(2 * np.pi * rng.uniform(3, 5) * u)
    arm = pose.arm[side]
    arm['flex'] += 2.0 * a * raised
    arm['abd'] += 0.7 * raised + 0.45 * a * raised * waves
    arm['elbow'] += 0.9 * raised


def _clap_hands(pose, u, a, side, rng):
    raised = _smooth((u - 0.05) / 0.2) * (1 - _smooth((u - 0.8) / 0.15))
    claps = 0.5 + 0.5 * np.cos(2 * np.pi * rng.uniform(4, 7) * u)
    for s in 'lr':
        arm = pose.arm[s]
        arm['flex'] += 1.15 * a * raised
        # hands apart and together across the body's midline
        arm['abd'] += raised * (-0.35 + 0.7 * a * claps - arm['abd'])
        arm['elbow'] += 1.0 * raised


ACTIONS = dict(walk=(_walk, 2.5), sit_down=(_sit_down, 2.0),
               stand_up=(_stand_up, 2.0), pick_up=(_pick_up, 2.5),
               carry=(_carry, 2.5), throw=(_throw, 1.8), push=(_push, 2.0),
               pull=(_pull, 2.0), wave_hands=(_wave_hands, 2.5),
               clap_hands=(_clap_hands, 2.0))  # movement, seconds


def _rot_x(angle):
    """(T, 3, 3) rotations about x: +angle tips +y towards +z."""
    c, s = np.cos(angle), np.sin(angle)
    r = np.zeros(np.shape(angle) + (3, 3))
    r[..., 0, 0] = 1
    r[..., 1, 1], r[..., 1, 2] = c, -s
    r[..., 2, 1], r[..., 2, 2] = s, c
    return r


def _limb(angle_flex, angle_abd, side_sign):
    """(T, 3) unit directions in the trunk frame (x right, y up, z
    forward): down at zero flexion, forward at pi/2, outwards with
    abduction."""
    return np.stack([
        side_sign * np.sin(angle_abd), -np.cos(angle_flex) * np.cos(angle_abd),
        np.sin(angle_flex) * np.cos(angle_abd)
    ], -1)


def pose_to_joints(pose: Pose, p: Performer) -> np.ndarray:
    """(T, 25, 3) joint positions (m) in the body frame (x right, y up,
    z forward), feet on the ground (y = 0)."""
    trunk_rot = _rot_x(pose.trunk)
    up = trunk_rot @ np.array([0.0, 1.0, 0.0])
    x_axis = np.array([1.0, 0.0, 0.0])
    num_frames = len(pose.trunk)
    joints = np.zeros((num_frames, NUM_JOINTS, 3))
    joints[:, SPINE_MID] = 0.5 * p.spine * up
    joints[:, SPINE_SHOULDER] = p.spine * up
    joints[:, NECK] = (p.spine + 0.07) * up
    joints[:, HEAD] = (p.spine + 0.2) * up
    for s, sign in (('l', -1.0), ('r', 1.0)):
        shoulder, elbow, wrist, hand, tip, thumb = ARM_JOINTS[s]
        arm = pose.arm[s]
        joints[:, shoulder] = (joints[:, SPINE_SHOULDER] - 0.03 * up +
                               sign * p.shoulder_width / 2 * x_axis)
        upper = np.einsum('tij,tj->ti', trunk_rot,
                          _limb(arm['flex'], arm['abd'], sign))
        fore = np.einsum('tij,tj->ti', trunk_rot,
                         _limb(arm['flex'] + arm['elbow'], arm['abd'], sign))
        joints[:, elbow] = joints[:, shoulder] + p.upper_arm * upper
        joints[:, wrist] = joints[:, elbow] + p.forearm * fore
        joints[:, hand] = joints[:, wrist] + 0.07 * fore
        joints[:, tip] = joints[:, hand] + 0.06 * fore
        joints[:, thumb] = (joints[:, hand] + 0.03 * fore
                            - 0.035 * sign * x_axis)
        hip, knee, ankle, foot = LEG_JOINTS[s]
        leg = pose.leg[s]
        joints[:, hip] = sign * p.hip_width / 2 * x_axis - 0.03 * up
        thigh = _limb(leg['flex'], np.zeros(num_frames), sign)
        shin = _limb(leg['flex'] - leg['knee'], np.zeros(num_frames), sign)
        joints[:, knee] = joints[:, hip] + p.thigh * thigh
        joints[:, ankle] = joints[:, knee] + p.shin * shin
        joints[:, foot] = joints[:, ankle] + np.array([0.0, -0.05, 0.12])
    # The lower foot on the ground, the body carried along its travel
    # (centred on the origin).
    ground = joints[:, [L_FOOT, R_FOOT], 1].min(1)
    joints[..., 1] -= ground[:, None]
    joints[..., 2] += (pose.forward - pose.forward.mean())[:, None]
    return joints


def _yaw(angle_deg):
    a = np.deg2rad(angle_deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0],
                     [-np.sin(a), 0, np.cos(a)]])


def record(joints: np.ndarray, camera: int,
           rng: np.random.Generator) -> np.ndarray:
    """Body-frame joints (T, 25, 3) as Kinect camera ``camera`` (1-based)
    sees them: a facing and a place in the room, the camera's yaw, its
    height's pitch and distance, then sensor jitter and tracking glitches.
    """
    facing = rng.uniform(-30, 30) + 180  # the body faces the camera
    world = joints @ _yaw(facing).T
    world += np.array([rng.uniform(-0.5, 0.5), 0, rng.uniform(-0.5, 0.5)])
    view = _yaw(CAMERA_YAWS[camera - 1] + rng.uniform(-10, 10))
    pitch = _rot_x(np.deg2rad(rng.uniform(-20, 20)))
    cam = world @ view.T
    cam[..., 1] -= rng.uniform(0.6, 1.2)  # camera height
    cam = cam @ pitch.T
    cam[..., 2] += rng.uniform(2.5, 3.5)
    num_frames = len(cam)
    noise = rng.normal(0, rng.uniform(0.004, 0.01), cam.shape)
    noise[:, EXTREMITIES] *= 2.5
    cam += noise
    for _ in range(rng.poisson(1.5)):  # tracking glitches
        joint = int(rng.choice(EXTREMITIES))
        length = int(rng.integers(3, 12))
        start = int(rng.integers(0, max(num_frames - length, 1)))
        stop = min(start + length, num_frames)
        if rng.random() < 0.5:  # frozen where it was last tracked
            cam[start:stop, joint] = cam[start, joint]
        else:  # inferred onto the spine
            cam[start:stop, joint] = cam[start:stop, SPINE_MID] + rng.normal(
                0, 0.05, 3)
    return cam


def synthesize_sample(label: int, performer: Performer, camera: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(1, T, 25, 3) float32 skeleton of one repetition of ``label``."""
    movement, seconds = ACTIONS[ACTION_CLASSES[label]]
    active = int(seconds * performer.tempo * rng.uniform(0.8, 1.25) * FPS)
    lead, trail = rng.integers(0, int(0.6 * FPS), size=2)
    num_frames = active + lead + trail
    u = np.clip((np.arange(num_frames) - lead) / max(active - 1, 1), 0, 1)
    pose = Pose(num_frames, performer)
    amplitude = performer.amplitude * rng.uniform(0.85, 1.15)
    side = performer.dominant
    movement(pose, u, amplitude, side, rng)
    # breathing and sway through the whole clip
    t = np.arange(num_frames) / FPS
    pose.trunk += 0.03 * np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * t +
                                rng.uniform(0, 2 * np.pi))
    joints = pose_to_joints(pose, performer)
    return record(joints, camera, rng)[None].astype(np.float32)


def sample_name(camera: int, performer: int, repetition: int,
                label: int) -> str:
    """NTU-style ``frame_dir``; performer, repetition and label 0-based."""
    return (f'S001C{camera:03d}P{performer + 1:03d}R{repetition + 1:03d}'
            f'A{label + 1:03d}')


def make_synthetic_skeletons(num_subjects: int = 10,
                             repetitions: int = 3,
                             seed: int = 0,
                             train_subjects: int = None) -> Dict:
    """The data set as a ``PoseDataset`` annotation dict.

    Every performer does every action ``repetitions`` times, the camera
    cycling over the repetitions. The first ``train_subjects`` performers
    (default: 60 %, at least one left to each side) form ``xsub_train``.

    Returns:
        dict: ``split`` (``xsub_train``, ``xsub_val``, ``xview_train``,
        ``xview_val``: lists of ``frame_dir``) and ``annotations``
        (``frame_dir``, ``label``, ``total_frames``, ``keypoint``
        (1, T, 25, 3) float32).
    """
    if num_subjects < 2:
        raise ValueError('num_subjects must be at least 2 for the xsub split')
    if repetitions < 1 or seed < 0:
        raise ValueError('repetitions must be positive and seed '
                         'non-negative')
    if num_subjects > 999 or repetitions > 999:
        raise ValueError('at most 999 subjects and 999 repetitions')
    if train_subjects is None:
        train_subjects = int(round(0.6 * num_subjects))
    train_subjects = min(max(train_subjects, 1), num_subjects - 1)
    split: Dict[str, List[str]] = {
        name: [] for name in ('xsub_train', 'xsub_val', 'xview_train',
                              'xview_val')
    }
    annotations = []
    for subject in range(num_subjects):
        performer = draw_performer(np.random.default_rng([seed, 0, subject]))
        for label in range(len(ACTION_CLASSES)):
            for repetition in range(repetitions):
                camera = (subject + label + repetition) % len(CAMERA_YAWS) + 1
                rng = np.random.default_rng(
                    [seed, 1, subject, label, repetition])
                keypoint = synthesize_sample(label, performer, camera, rng)
                name = sample_name(camera, subject, repetition, label)
                annotations.append(
                    dict(frame_dir=name, label=label, keypoint=keypoint,
                         total_frames=keypoint.shape[1]))
                split['xsub_train' if subject < train_subjects else
                      'xsub_val'].append(name)
                split['xview_val' if camera == XVIEW_VAL_CAMERA else
                      'xview_train'].append(name)
    return dict(split=split, annotations=annotations)
