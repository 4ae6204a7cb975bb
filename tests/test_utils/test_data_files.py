"""Annotation and dump pickles are unpickled as data only, at every entry
point, and mmaction2's own files still load."""
import argparse
import importlib.util
import io
import os
import pickle
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from aimclr_mm.datasets import ClassBalancedSubset, KNNDataset
from aimclr_mm.datasets.pose_validation import load_pose_file
from aimclr_mm.engine.runner import build_runner
from aimclr_mm.utils import CorruptPickleError, UnsafePickleError, load_pickle
from mmaction.registry import DATASETS
from pose_data import write_pose_dataset

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
PIPELINE = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]


class Payload:
    """Creates ``marker`` when unpickled, as a tampered file would run any
    code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tampered(tmp_path):
    """A valid-looking annotation file with a payload in one annotation;
    returns the file and the marker the payload would create."""
    annotations, split = write_pose_dataset(tmp_path / 'clean.pkl', [4, 4],
                                            [2, 2])
    marker = tmp_path / 'payload_ran'
    annotations[0]['img_shape'] = Payload(marker)
    path = tmp_path / 'tampered.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)
    return str(path), marker


def test_the_payload_runs_with_plain_pickle(tampered):
    path, marker = tampered
    with open(path, 'rb') as f:
        pickle.load(f)
    assert marker.exists()


def _refused(marker, call):
    with pytest.raises(UnsafePickleError) as info:
        call()
    message = str(info.value)
    assert 'the global io.open' in message
    assert not marker.exists()
    return message


def test_datasets_refuse_the_payload(tampered):
    path, marker = tampered
    init_default_scope('mmaction')
    message = _refused(
        marker, lambda: DATASETS.build(
            dict(
                type='SkeletonPoseDataset',
                ann_file=path,
                split='xsub_train',
                pipeline=PIPELINE)))
    assert path in message
    _refused(marker, lambda: KNNDataset(path, PIPELINE, 'xsub_train'))
    _refused(
        marker, lambda: ClassBalancedSubset(
            dict(
                type='SkeletonPoseDataset',
                ann_file=path,
                split='xsub_train',
                pipeline=PIPELINE),
            ratio=0.5))


def test_train_refuses_the_payload(tampered, tmp_path, monkeypatch):
    """tools/train.py on a pretraining config: training set and KNN bank."""
    path, marker = tampered
    train = _load_tool('train')
    monkeypatch.setattr('sys.argv', [
        'train.py',
        str(CONFIGS / 'aimclr_stgcn_ntu60_xsub_joint.py'), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'train_dataloader.dataset.ann_file={path}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'model.queue_size=16'
    ])
    _refused(marker, train.main)
    # The KNN bank reads the same file when the training set is fine.
    cfg = train.merge_args(
        Config.fromfile(CONFIGS / 'aimclr_stgcn_ntu60_xsub_joint.py'),
        train.parse_args())
    clean = str(Path(path).with_name('clean.pkl'))
    cfg.train_dataloader.dataset.ann_file = clean
    cfg.val_dataloader.dataset.ann_file = path
    cfg.val_dataloader.dataset.bank_split = 'xsub_train'
    runner = build_runner(cfg)
    _refused(marker, runner.train)


def test_knn_eval_refuses_the_payload(tampered, tmp_path):
    path, marker = tampered
    knn_eval = _load_tool('knn_eval')
    args = argparse.Namespace(
        config=str(CONFIGS / 'aimclr_stgcn_ntu60_xsub_joint.py'),
        checkpoint=str(tmp_path / 'never_loaded.pth'),
        ks=None,
        weighting=None,
        temperature=None,
        ann_file=path,
        bank_split=None,
        query_split=None,
        batch_size=None,
        work_dir=str(tmp_path / 'knn'),
        cfg_options={'model.queue_size': 16},
        launcher='none')
    cfg = knn_eval.knn_test_cfg(Config.fromfile(args.config), args)
    runner = build_runner(cfg)
    _refused(marker, runner.test)


def test_visualize_tsne_refuses_the_payload(tampered):
    path, marker = tampered
    tsne_tool = _load_tool('visualize_tsne')
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIGS / 'aimclr_stgcn_ntu60_xsub_joint.py')
    _refused(marker, lambda: tsne_tool.validation_dataset(
        cfg, ann_file=path, split='xsub_val'))


def test_test_refuses_the_payload(tampered, tmp_path, monkeypatch):
    path, marker = tampered
    test = _load_tool('test')
    monkeypatch.setattr('sys.argv', [
        'test.py',
        str(CONFIGS / 'linear' /
            'aimclr_stgcn_linear_ntu60_xsub_joint.py'),
        str(tmp_path / 'never_loaded.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.ann_file={path}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    _refused(marker, test.main)


def test_fuse_streams_refuses_the_payload(tmp_path):
    marker = tmp_path / 'payload_ran'
    results = [
        dict(
            pred_scores=dict(item=torch.tensor([0.2, 0.8])),
            gt_labels=dict(item=torch.tensor([1])),
            frame_dir='S000'),
        dict(
            pred_scores=dict(item=torch.tensor([0.6, 0.4])),
            gt_labels=dict(item=torch.tensor([0])),
            frame_dir=Payload(marker)),
    ]
    path = tmp_path / 'dump.pkl'
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    fuse_streams = _load_tool('fuse_streams')
    message = _refused(marker, lambda: fuse_streams.main([str(path)]))
    assert str(path) in message
    # Without the payload the same dump, with tensors, is read.
    results[1]['frame_dir'] = 'S001'
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    top1, _ = fuse_streams.main([str(path)])
    assert top1 == 1.0


def _mmaction2_layout(num=3):
    """Annotations laid out like mmaction2's ntu60_3d.pkl."""
    rng = np.random.default_rng(0)
    annotations = []
    for i in range(num):
        frames = 10 + i
        annotations.append(
            dict(
                frame_dir=f'S001C001P00{i}R001A00{i + 1}',
                label=np.int64(i) if i % 2 else i,
                img_shape=(1080, 1920),
                original_shape=(1080, 1920),
                total_frames=frames,
                keypoint=rng.standard_normal(
                    (2, frames, 25, 3)).astype(np.float32),
                keypoint_score=np.ones((2, frames, 25), np.float32)))
    split = dict(
        xsub_train=[a['frame_dir'] for a in annotations[:2]],
        xsub_val=[annotations[2]['frame_dir']])
    return dict(split=split, annotations=annotations)


@pytest.mark.parametrize(
    'protocol, numpy_module', [(2, 'numpy._core'), (3, 'numpy._core'),
                               (4, 'numpy._core'), (5, 'numpy._core'),
                               (2, 'numpy.core')])
def test_mmaction2_files_load(tmp_path, protocol, numpy_module):
    data = _mmaction2_layout()
    raw = pickle.dumps(data, protocol=protocol)
    if numpy_module == 'numpy.core':
        # As numpy 1.x wrote them (protocol 2 names globals in plain text).
        assert b'numpy._core' in raw
        raw = raw.replace(b'numpy._core', b'numpy.core')
    path = tmp_path / 'ntu60_3d.pkl'
    path.write_bytes(raw)
    loaded = load_pose_file(str(path))
    assert loaded['split'] == data['split']
    for got, want in zip(loaded['annotations'], data['annotations']):
        assert got.keys() == want.keys()
        np.testing.assert_array_equal(got['keypoint'], want['keypoint'])
        assert got['keypoint'].dtype == np.float32
        assert got['img_shape'] == (1080, 1920)
        assert got['label'] == want['label']
    init_default_scope('mmaction')
    dataset = DATASETS.build(
        dict(
            type='SkeletonPoseDataset',
            ann_file=str(path),
            split='xsub_train',
            num_classes=60,
            pipeline=PIPELINE))
    assert len(dataset) == 2
    assert dataset.get_data_info(1)['keypoint'].shape == (2, 11, 25, 3)
    assert dataset[1]['inputs'].shape[:4] == (1, 2, 50, 25)


def test_converter_files_load(tmp_path):
    from skeleton_converters import make_annotation, write_pose_pickle
    rng = np.random.default_rng(0)
    annotations = [
        make_annotation(f'a{i}', i, rng.standard_normal((1, 5, 25, 3)))
        for i in range(2)
    ]
    path = str(tmp_path / 'converted.pkl')
    write_pose_pickle(path, annotations, dict(train=['a0'], val=['a1']))
    loaded = load_pose_file(path)
    assert [a['frame_dir'] for a in loaded['annotations']] == ['a0', 'a1']


def test_numpy_values_round_trip(tmp_path):
    values = dict(
        strings=np.array(['ab', 'c']),
        bytes_=np.array([b'x']),
        flags=np.array([True, False]),
        fortran=np.asfortranarray(np.arange(6.).reshape(2, 3)),
        strided=np.arange(12).reshape(3, 4)[:, ::2],
        scalars=(np.float32(1.5), np.int16(-3), np.complex64(1j)),
        dtype=np.dtype('float16'),
        containers=({1, 2}, frozenset([3]), b'raw', bytearray(b'x')))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f'values{protocol}.pkl'
        path.write_bytes(pickle.dumps(values, protocol=protocol))
        loaded = load_pickle(str(path))
        for key, value in values.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(loaded[key], value)
                assert loaded[key].dtype == value.dtype
            else:
                assert loaded[key] == value, (protocol, key)


@pytest.mark.parametrize(
    'value', [
        np.array([1, 'a'], dtype=object),
        np.zeros(2, dtype=[('x', 'f4'), ('y', 'i4')]),
        np.float64,
    ],
    ids=['object array', 'structured array', 'numpy type'])
def test_other_numpy_objects_are_refused(tmp_path, value):
    path = tmp_path / 'other.pkl'
    path.write_bytes(pickle.dumps(dict(value=value)))
    with pytest.raises(UnsafePickleError, match=str(path)):
        load_pickle(str(path))


def test_tensors_only_where_allowed(tmp_path):
    path = tmp_path / 'tensor.pkl'
    path.write_bytes(pickle.dumps([torch.arange(3)]))
    assert torch.equal(load_pickle(str(path), allow_tensors=True)[0],
                       torch.arange(3))
    with pytest.raises(UnsafePickleError, match='torch._utils'):
        load_pickle(str(path))


def test_truncated_and_non_pickle_files_name_the_path(tmp_path):
    raw = pickle.dumps(_mmaction2_layout())
    for name, content in (('truncated.pkl', raw[:len(raw) // 2]),
                          ('empty.pkl', b''), ('text.pkl', b'not a pickle')):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(CorruptPickleError, match=str(path)):
            load_pickle(str(path))


class RunShell:
    """Unpickling this object runs ``touch path`` through ``os.system``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.system, (f'touch {self.path}', )


class StorageBlob:
    """Pickles as a tensor's storage does (``torch.storage._load_from_bytes``
    of a nested torch file), with ``payload`` in that nested file."""

    def __init__(self, payload, zipfile):
        self.payload, self.zipfile = payload, zipfile

    def __reduce__(self):
        buffer = io.BytesIO()
        torch.save(self.payload, buffer,
                   _use_new_zipfile_serialization=self.zipfile)
        return torch.storage._load_from_bytes, (buffer.getvalue(), )


@pytest.mark.parametrize('zipfile', [False, True], ids=['legacy', 'zip'])
def test_payload_in_a_tensor_storage_is_named(tmp_path, zipfile):
    marker = tmp_path / 'payload_ran'
    path = tmp_path / 'dump.pkl'
    path.write_bytes(pickle.dumps([StorageBlob(RunShell(marker), zipfile)]))
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(str(path), allow_tensors=True)
    message = str(info.value)
    assert message.startswith(
        f'Refusing to load {path}: it pickles the global '
        f'{os.system.__module__}.system in the storage of a tensor. ')
    assert 'weights_only' not in message
    assert not marker.exists()
    # A real storage, written the same way, loads.
    path.write_bytes(pickle.dumps([StorageBlob(torch.ones(2), zipfile)]))
    assert torch.equal(load_pickle(str(path), allow_tensors=True)[0],
                       torch.ones(2))


def _reduced(function, *args):
    """An object that pickles as ``function(*args)``."""
    reduce = lambda self: (function, args)  # noqa: E731
    return type('Reduced', (), dict(__reduce__=reduce))()


_SCALAR = np.float64(0).__reduce__()[0]
_FROMBUFFER = np.arange(2).__reduce_ex__(5)[0]


@pytest.mark.parametrize(
    'value, given', [
        (_reduced(_SCALAR, 'O', b'\0' * 8), "str 'O'"),
        (_reduced(_SCALAR, 'f8', b'\0' * 8), "str 'f8'"),
        (_reduced(_FROMBUFFER, b'\0' * 8, 'O', (1, ), 'C'), "str 'O'"),
    ],
    ids=['scalar O', 'scalar f8', 'frombuffer O'])
def test_dtype_given_as_a_string_is_refused(tmp_path, value, given):
    path = tmp_path / 'annotations.pkl'
    path.write_bytes(pickle.dumps(dict(annotations=[value]), protocol=5))
    with pytest.raises(UnsafePickleError) as info:
        load_pickle(str(path))
    assert str(info.value).startswith(
        f'Refusing to load {path}: it pickles numpy dtype given as the '
        f'{given} (a dtype object is expected). ')


_CLAIM = 2**31 + 2**20  # 2.1 GB


@pytest.mark.parametrize(
    'raw, claim', [
        (pickle.dumps(
            _reduced(np.ndarray, (_CLAIM // 8, ), np.dtype('float64'))),
         f'a float64 array of shape ({_CLAIM // 8},) ({_CLAIM} bytes)'),
        (pickle.dumps(
            _reduced(np.empty(0).__reduce__()[0], np.ndarray, (_CLAIM, ),
                     b'b')), f'a int8 array of shape ({_CLAIM},) '
         f'({_CLAIM} bytes)'),
        (pickle.dumps(_reduced(bytes, _CLAIM), protocol=2),
         f'bytes({_CLAIM}) ({_CLAIM} bytes)'),
        (b'\x80\x04\x8d' + _CLAIM.to_bytes(8, 'little') + b'abc',
         f'{_CLAIM} more bytes at byte 11'),  # BINUNICODE8
        (b'\x80\x04\x95' + _CLAIM.to_bytes(8, 'little') + b'abc',
         f'{_CLAIM} more bytes at byte 11'),  # FRAME
    ],
    ids=['ndarray', 'reconstruct', 'bytes', 'string', 'frame'])
def test_oversized_claims_are_refused_before_allocation(tmp_path, raw, claim):
    path = tmp_path / 'annotations.pkl'
    path.write_bytes(raw)
    assert len(raw) < 120
    tracemalloc.start()
    try:
        with pytest.raises(CorruptPickleError) as info:
            load_pickle(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        f'Cannot read {path}: it claims {claim}, more than the {len(raw)} '
        'bytes the whole file holds (it is corrupt or was crafted)')
    assert peak < 10 * 2**20


def test_a_directory_is_not_a_pickle(tmp_path):
    with pytest.raises(CorruptPickleError) as info:
        load_pickle(str(tmp_path))
    assert str(info.value) == (
        f'Cannot read {tmp_path}: it is a directory, not a pickle file')
