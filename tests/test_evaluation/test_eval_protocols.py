"""Downstream protocols: configs, linear evaluation with a frozen encoder,
the semi-supervised subset, checkpoint loading, test dumps and fusion."""
import glob
import os.path as osp
import pickle
import uuid
from collections import Counter
from pathlib import Path

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from aimclr_mm.datasets import ClassBalancedSubset
from aimclr_mm.engine.runner import build_runner, load_from_local
from pose_data import write_pose_dataset
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
NUM_CLASSES = {
    'ntu60': 60, 'ntu60_2d': 60, 'ntu120': 120, 'pku1': 51, 'pku2': 41}
PROTOCOLS = ('linear', 'semi1', 'semi10', 'finetune')


def downstream_config(protocol, dataset, split, stream):
    """``configs/<folder>/aimclr_stgcn_<protocol>_<data>.py``"""
    folder = 'semi' if protocol.startswith('semi') else protocol
    return (CONFIGS / folder /
            f'aimclr_stgcn_{protocol}_{dataset}_{split}_{stream}.py')


LINEAR_CONFIG = downstream_config('linear', 'ntu60', 'xsub', 'joint')
TRAIN_PER_CLASS, VAL_PER_CLASS, TINY_CLASSES = 4, 2, 3



@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('protocols')
    write_pose_dataset(root / 'tiny.pkl', [TRAIN_PER_CLASS] * TINY_CLASSES,
                       [VAL_PER_CLASS] * TINY_CLASSES)
    return root


@pytest.fixture(scope='module')
def pretrain_ckpt(tiny):
    """A pretraining checkpoint of the AimCLR model with BatchNorm
    statistics that are not the defaults."""
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIGS / 'aimclr_stgcn_ntu60_xsub_joint.py')
    cfg.model.queue_size = 64
    model = MODELS.build(cfg.model)
    model.init_weights()
    gen = torch.Generator().manual_seed(0)
    for name, buf in model.named_buffers():
        if name.endswith(('running_mean', 'running_var')):
            buf.copy_(torch.rand(buf.shape, generator=gen) + 0.5)
    path = tiny / 'pretrain.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def _tiny_cfg(config, root, load_from, tag):
    """A downstream config shrunk to the tiny data set and one epoch."""
    cfg = Config.fromfile(config)
    ann_file = str(root / 'tiny.pkl')
    train = cfg.train_dataloader.dataset
    while 'split' not in train:
        train = train.dataset
    train.ann_file = ann_file
    cfg.model.cls_head.num_classes = TINY_CLASSES
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
        if name != 'train_dataloader':
            loader.dataset.ann_file = ann_file
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.work_dir = str(root / tag)
    cfg.experiment_name = f'{tag}_{uuid.uuid4().hex[:8]}'
    cfg.load_from = str(load_from)
    cfg.randomness = dict(seed=0)
    return cfg


# --------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------
def test_linear_config_has_the_published_settings():
    cfg = Config.fromfile(LINEAR_CONFIG)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD'
    assert optimizer.lr == 3.0 and optimizer.momentum == 0.9
    assert optimizer.weight_decay == 0 and not optimizer.nesterov
    assert cfg.train_cfg.max_epochs == 100
    # lr x0.1 from epoch 80 of 100 (a fraction, so it moves with the run)
    assert [(s.type, s.milestones, s.gamma) for s in cfg.param_scheduler
            ] == [('FractionalMultiStepLR', [0.8], 0.1)]
    # 8 GPUs x 16 = 128, the batch lr 3.0 belongs to.
    assert cfg.train_dataloader.batch_size * 8 == 128
    assert cfg.auto_scale_lr.base_batch_size == 128
    # Evaluated every 5 epochs, as the official code does.
    assert cfg.train_cfg.val_interval == 5
    # Frozen encoder in eval mode under a linear GCNHead on 256-d features.
    assert cfg.model.type == 'RecognizerGCN'
    assert cfg.model.backbone.type == 'AimCLRSTGCN'
    assert cfg.model.backbone.frozen is True
    assert cfg.model.cls_head.type == 'GCNHead'
    assert cfg.model.cls_head.in_channels == 256
    assert cfg.model.cls_head.num_classes == 60
    assert cfg.model.cls_head.get('dropout', 0) == 0
    # No augmentation: training reads sequences exactly as testing does.
    assert cfg.train_dataloader.dataset.pipeline == \
        cfg.test_dataloader.dataset.pipeline
    assert not any(t.type.startswith('Skeleton')
                   for t in cfg.train_dataloader.dataset.pipeline)
    assert cfg.model.data_preprocessor.stream == 'joint'
    assert cfg.load_from == \
        'work_dirs/aimclr_stgcn_ntu60_xsub_joint/epoch_300.pth'


def test_every_pretraining_config_has_its_downstream_configs():
    pretrain = sorted(glob.glob(str(CONFIGS / 'aimclr_stgcn_*.py')))
    # 6 data sets x 3 streams in 3D, NTU-60's 2D keypoints x 2 splits x 3
    assert len(pretrain) == 18 + 6
    leaves = [
        leaf for folder in ('linear', 'semi', 'finetune')
        for leaf in glob.glob(str(CONFIGS / folder / 'aimclr_stgcn_*.py'))
    ]
    assert len(leaves) == len(pretrain) * len(PROTOCOLS)
    for path in pretrain:
        stem = osp.splitext(osp.basename(path))[0]
        dataset, split, stream = stem[len('aimclr_stgcn_'):].rsplit('_', 2)
        pre = Config.fromfile(path)
        pre_data = pre.train_dataloader.dataset
        for protocol in PROTOCOLS:
            leaf = downstream_config(protocol, dataset, split, stream)
            # A leaf says the stream, the checkpoint and the semi ratio.
            assert len(leaf.read_text().splitlines()) <= 4, leaf
            cfg = Config.fromfile(leaf)
            train = cfg.train_dataloader.dataset
            if protocol.startswith('semi'):
                assert train.type == 'ClassBalancedSubset', leaf
                assert train.ratio == {'semi1': 0.01, 'semi10': 0.1}[protocol]
                train = train.dataset
            assert (train.ann_file, train.split) == \
                (pre_data.ann_file, pre_data.split), leaf
            assert cfg.val_dataloader == cfg.test_dataloader, leaf
            assert cfg.val_dataloader is not cfg.test_dataloader, leaf
            for name in ('val_dataloader', 'test_dataloader'):
                assert (cfg[name].dataset.ann_file, cfg[name].dataset.split) \
                    == (pre_data.ann_file, f'{split}_val'), leaf
            assert cfg.model.data_preprocessor.stream == stream == \
                pre.model.data_preprocessor.stream, leaf
            for key in ('layout', 'score_channel'):
                assert cfg.model.data_preprocessor.get(key) == \
                    pre.model.data_preprocessor.get(key), leaf
            for name in ('train_dataloader', 'val_dataloader'):
                dataset_cfg = cfg[name].dataset
                dataset_cfg = dataset_cfg.get('dataset', dataset_cfg)
                for key in ('num_joints', 'num_coords'):
                    assert dataset_cfg.get(key) == pre_data.get(key), leaf
            assert cfg.model.cls_head.num_classes == NUM_CLASSES[dataset]
            assert cfg.model.backbone == dict(
                pre.model.backbone, **({
                    'frozen': True
                } if protocol == 'linear' else {})), leaf
            assert cfg.load_from == f'work_dirs/{stem}/epoch_300.pth'
            frozen = cfg.model.backbone.get('frozen', False)
            assert frozen == (protocol == 'linear'), leaf


# --------------------------------------------------------------------------
# Semi-supervised subset
# --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def imbalanced(tmp_path_factory):
    root = tmp_path_factory.mktemp('subset')
    counts = [3, 10, 25, 57, 15]
    annotations, _ = write_pose_dataset(root / 'imbalanced.pkl', counts,
                                        [0] * len(counts))
    cfg = dict(
        type='SkeletonPoseDataset',
        ann_file=str(root / 'imbalanced.pkl'),
        split='xsub_train',
        pipeline=[])
    return cfg, [a['label'] for a in annotations]


@pytest.mark.parametrize('ratio', [0.01, 0.1, 0.5])
def test_subset_count_per_class(imbalanced, ratio):
    cfg, labels = imbalanced
    subset = ClassBalancedSubset(cfg, ratio=ratio, seed=0)
    per_class = Counter(labels)
    chosen = [subset.get_data_info(i)['label'] for i in range(len(subset))]
    expected = {c: max(1, round(ratio * n)) for c, n in per_class.items()}
    assert Counter(chosen) == expected
    assert len(set(subset.indices)) == len(subset)
    # Indices point at samples of the class they were drawn for.
    assert [labels[i] for i in subset.indices] == chosen
    assert subset[0]['label'] == chosen[0]


def test_subset_is_reproducible_per_seed(imbalanced):
    cfg, _ = imbalanced
    first = ClassBalancedSubset(cfg, ratio=0.1, seed=3).indices
    again = ClassBalancedSubset(cfg, ratio=0.1, seed=3).indices
    other = ClassBalancedSubset(cfg, ratio=0.1, seed=4).indices
    assert first == again
    assert first != other
    assert len(first) == len(other)


def test_subset_rejects_bad_input(imbalanced, tmp_path):
    cfg, _ = imbalanced
    for ratio in (0, 1.5, -0.1):
        with pytest.raises(ValueError, match='ratio'):
            ClassBalancedSubset(cfg, ratio=ratio)
    unlabelled = tmp_path / 'unlabelled.pkl'
    write_pose_dataset(unlabelled, [2], [0])
    with open(unlabelled, 'rb') as f:
        data = pickle.load(f)
    del data['annotations'][1]['label']
    with open(unlabelled, 'wb') as f:
        pickle.dump(data, f)
    with pytest.raises(ValueError, match='sample 1 .* single integer label'):
        ClassBalancedSubset(dict(cfg, ann_file=str(unlabelled)), ratio=0.5)


def test_semi_config_builds_the_subset(tiny):
    cfg = Config.fromfile(
        downstream_config('semi10', 'ntu60', 'xsub', 'joint'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.dataset.ann_file = str(tiny / 'tiny.pkl')
    init_default_scope('mmaction')
    subset = DATASETS.build(dataset_cfg)
    assert isinstance(subset, ClassBalancedSubset)
    assert len(subset) == TINY_CLASSES  # round(0.1 * 4) = 0 -> 1 per class
    sample = subset[0]
    assert tuple(sample['inputs'].shape) == (1, 2, 50, 25, 3)


# --------------------------------------------------------------------------
# Linear evaluation, loading, test dump and fusion
# --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def linear_run(tiny, pretrain_ckpt):
    cfg = _tiny_cfg(LINEAR_CONFIG, tiny, pretrain_ckpt, 'linear')
    runner = build_runner(cfg)
    head_before = runner.model.cls_head.fc.weight.detach().clone()
    runner.train()
    return runner, head_before


@pytest.mark.slow
def test_linear_keeps_the_encoder_frozen(linear_run, pretrain_ckpt):
    runner, head_before = linear_run
    pretrained = load_from_local(str(pretrain_ckpt))['state_dict']
    encoder = runner.model.backbone.state_dict()
    # Weights and BatchNorm statistics (running mean/var, batch counts).
    assert any('running_mean' in k for k in encoder)
    for key, value in encoder.items():
        assert torch.equal(value, pretrained[f'backbone.{key}']), key
    assert not runner.model.backbone.training
    assert not any(p.requires_grad for p in runner.model.backbone.parameters())
    # ... while the classifier did learn.
    assert not torch.equal(runner.model.cls_head.fc.weight, head_before)
    saved = load_from_local(
        osp.join(runner.work_dir, 'epoch_1.pth'))['state_dict']
    for key, value in encoder.items():
        assert torch.equal(saved[f'backbone.{key}'], value), key


@pytest.mark.slow
def test_test_dump_and_fusion_of_identical_streams(linear_run, tiny, capsys):
    runner, _ = linear_run
    ckpt = osp.join(runner.work_dir, 'epoch_1.pth')
    dump = tiny / 'linear_scores.pkl'
    cfg = _tiny_cfg(LINEAR_CONFIG, tiny, ckpt, 'linear_test')
    cfg.test_evaluator = [
        *cfg.test_evaluator,
        dict(type='DumpResults', out_file_path=str(dump))
    ]
    metrics = build_runner(cfg).test()
    with open(dump, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == TINY_CLASSES * VAL_PER_CLASS
    assert all(r['frame_dir'] for r in results)

    fuse_streams = load_tool('fuse_streams')
    top1, top5 = fuse_streams.main(
        [str(dump)] * 3 + ['--weights', '0.6', '0.6', '0.4'])
    assert top1 == pytest.approx(metrics['acc/top1'])
    assert top5 == pytest.approx(metrics['acc/top5'])
    assert f'top1_acc: {metrics["acc/top1"]:.4f}' in capsys.readouterr().out


def test_checkpoint_without_encoder_fails_loudly(tiny, pretrain_ckpt):
    state = load_from_local(str(pretrain_ckpt))['state_dict']
    renamed = {
        k.replace('backbone.', 'encoder.', 1): v
        for k, v in state.items()
    }
    path = tiny / 'no_encoder.pth'
    torch.save(dict(state_dict=renamed), path)
    cfg = _tiny_cfg(LINEAR_CONFIG, tiny, path, 'no_encoder')
    with pytest.raises(RuntimeError, match='does not hold the encoder'):
        build_runner(cfg).train()
    assert not glob.glob(osp.join(cfg.work_dir, 'epoch_*.pth'))


def test_testing_a_pretraining_checkpoint_fails(tiny, pretrain_ckpt):
    cfg = _tiny_cfg(LINEAR_CONFIG, tiny, pretrain_ckpt, 'wrong_test')
    with pytest.raises(RuntimeError, match='pretraining checkpoint'):
        build_runner(cfg).test()


def test_training_without_load_from_fails(tiny):
    cfg = _tiny_cfg(LINEAR_CONFIG, tiny, None, 'no_load_from')
    cfg.load_from = None
    with pytest.raises(RuntimeError, match='load_from is not set'):
        build_runner(cfg).train()
