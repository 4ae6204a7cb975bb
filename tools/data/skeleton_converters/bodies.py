from typing import List, Tuple

import numpy as np


def present_frames(body: np.ndarray) -> np.ndarray:
    """Frames (T, ) bool where a body (T, V, C) has any non-zero joint."""
    return np.any(body != 0, axis=(1, 2))


def body_energy(body: np.ndarray) -> float:
    """Motion energy of one body (T, V, C): the standard NTU rule.

    Sum over the coordinate axes of the standard deviation of that
    coordinate over all joints of the frames where the body is present. A
    body present in no frame has energy 0.
    """
    frames = body[present_frames(body)]
    if len(frames) == 0:
        return 0.0
    return float(sum(frames[..., c].std() for c in range(body.shape[-1])))


def nonempty_bodies(bodies: np.ndarray) -> List[int]:
    """Indices, in order, of the bodies (B, T, V, C) present in any frame."""
    return [i for i in range(len(bodies)) if np.any(bodies[i] != 0)]


def merge_into_persons(bodies: np.ndarray,
                       max_persons: int = 2) -> Tuple[np.ndarray, List[int]]:
    """Most active bodies (B, T, V, C) as at most ``max_persons`` persons.

    In decreasing :func:`body_energy` (ties keep the body order), each body
    joins the first person it does not overlap in time (a sensor gives a
    person a new body id when it tracks them again), else starts a new
    person while there are fewer than ``max_persons``, else is dropped.
    Bodies present in no frame are ignored. When no two bodies can be
    merged this is the standard NTU choice of the ``max_persons`` bodies of
    highest energy.

    Returns:
        tuple: Persons (P, T, V, C) with 1 <= P <= max_persons, or P = 0
        when no body is present, and the indices of the dropped bodies.
    """
    candidates = nonempty_bodies(bodies)
    energy = {i: body_energy(bodies[i]) for i in candidates}
    persons, dropped = [], []
    for i in sorted(candidates, key=lambda i: -energy[i]):
        frames = present_frames(bodies[i])
        for person in persons:
            if not np.any(present_frames(person) & frames):
                person[frames] = bodies[i][frames]
                break
        else:
            if len(persons) < max_persons:
                persons.append(bodies[i].copy())
            else:
                dropped.append(i)
    shape = (len(persons), ) + bodies.shape[1:]
    return np.stack(persons) if persons else np.zeros(shape), dropped
