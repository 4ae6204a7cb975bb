"""Raw skeleton data to mmaction2 PoseDataset pickles.

The library of ``tools/data/*_to_pkl.py`` and
``tools/data/make_synthetic_skeletons.py``, which put ``tools/data`` on
``sys.path`` to import it. It is not part of the installed ``aimclr_mm``
package and registers nothing.
"""
from .bodies import body_energy, merge_into_persons, nonempty_bodies
from .kinect_v1 import (KINECT_V1_TO_NTU, convert_kinect_v1, kinect_v1_to_ntu,
                        read_action_labels, read_kinect_v1_joints)
from .msr_action3d import (MSR_ACTIONS, MSR_TO_KINECT_V1, MSR_TO_NTU,
                           convert_msr_action3d, msr_to_ntu,
                           parse_msr_name, read_msr_skeleton)
from .ntu import (NTU60_XSUB_TRAIN_SUBJECTS, NTU120_XSUB_TRAIN_SUBJECTS,
                  convert_ntu, ntu_splits, parse_ntu_name, read_missing_list,
                  read_ntu_skeleton)
from .parsing import parse_rows, parse_rows_lenient, read_text_lines
from .pku_mmd import (convert_pku_mmd, read_pku_labels, read_pku_skeleton,
                      read_split_list)
from .pose_pickle import (OutputError, atomic_write, check_output_path,
                          make_annotation, report_path, write_pose_pickle)
from .report import ConversionReport, InputError
from .runner import (ConversionFailed, add_output_args, int_at_least,
                     run_cli, run_tasks, xsub_split_by_parity)

__all__ = [
    'body_energy', 'merge_into_persons', 'nonempty_bodies', 'KINECT_V1_TO_NTU',
    'convert_kinect_v1', 'kinect_v1_to_ntu', 'read_action_labels',
    'read_kinect_v1_joints', 'MSR_ACTIONS', 'MSR_TO_KINECT_V1', 'MSR_TO_NTU',
    'convert_msr_action3d', 'msr_to_ntu', 'parse_msr_name',
    'read_msr_skeleton', 'NTU60_XSUB_TRAIN_SUBJECTS',
    'NTU120_XSUB_TRAIN_SUBJECTS', 'convert_ntu', 'ntu_splits',
    'parse_ntu_name', 'read_missing_list', 'read_ntu_skeleton', 'parse_rows',
    'parse_rows_lenient', 'read_text_lines', 'convert_pku_mmd',
    'read_pku_labels', 'read_pku_skeleton', 'read_split_list', 'OutputError',
    'atomic_write', 'check_output_path', 'make_annotation', 'report_path',
    'write_pose_pickle', 'ConversionReport', 'InputError', 'ConversionFailed',
    'add_output_args', 'int_at_least', 'run_cli', 'run_tasks',
    'xsub_split_by_parity'
]
