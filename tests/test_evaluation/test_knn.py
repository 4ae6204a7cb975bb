"""KNN evaluation: the classifier, the metric, the dataset, the periodic
evaluation during pretraining and tools/knn_eval.py."""
import argparse
import json
import os.path as osp
import uuid
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from aimclr_mm.datasets import KNNDataset
from aimclr_mm.datasets.knn_dataset import query_split_of
from aimclr_mm.engine.runner import build_runner, load_from_local
from aimclr_mm.evaluation import KNNMetric, knn_predict
from aimclr_mm.evaluation.metrics import knn_metric
from pose_data import write_pose_dataset
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]
PRETRAIN_CONFIG = REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'
NUM_CLASSES, TRAIN_PER_CLASS, VAL_PER_CLASS = 3, 4, 2
KNN_PIPELINE = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]


# --------------------------------------------------------------------------
# The classifier
# --------------------------------------------------------------------------
def test_knn_predict_separable_clusters():
    gen = torch.Generator().manual_seed(0)
    centres = torch.eye(4)[:3] * 5
    bank_labels = torch.arange(3).repeat_interleave(10)
    bank = centres[bank_labels] + torch.randn(30, 4, generator=gen) * 0.3
    query_labels = torch.tensor([2, 0, 1, 1, 0])
    query = centres[query_labels] + torch.randn(5, 4, generator=gen) * 0.3
    preds = knn_predict(query, bank, bank_labels, 3, ks=(1, 5, 10))
    for k, pred in preds.items():
        assert torch.equal(pred, query_labels), k


def test_knn_predict_uses_cosine_similarity():
    # By Euclidean distance the query is nearest to class 0; by angle, to
    # class 1.
    bank = torch.tensor([[1.0, 0.2], [10.0, 10.0]])
    labels = torch.tensor([0, 1])
    query = torch.tensor([[2.0, 2.1]])
    assert knn_predict(query, bank, labels, 2, ks=(1, ))[1].item() == 1


def test_knn_predict_weighting():
    # One very similar neighbour of class 0, two less similar of class 1.
    angles = torch.tensor([0.05, 0.6, 0.65])
    bank = torch.stack([angles.cos(), angles.sin()], dim=1)
    labels = torch.tensor([0, 1, 1])
    query = torch.tensor([[1.0, 0.0]])
    assert knn_predict(query, bank, labels, 2, ks=(1, ))[1].item() == 0
    # Majority vote: 2 against 1.
    uniform = knn_predict(
        query, bank, labels, 2, ks=(3, ), weighting='uniform')
    assert uniform[3].item() == 1
    # exp(cos / 0.07): the close neighbour outweighs the two far ones.
    weighted = knn_predict(query, bank, labels, 2, ks=(3, ), weighting='exp')
    assert weighted[3].item() == 0
    # A high temperature makes the weights nearly uniform again.
    flat = knn_predict(query, bank, labels, 2, ks=(3, ), temperature=100.)
    assert flat[3].item() == 1


def test_knn_predict_rejects_bad_input():
    bank, labels = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ValueError, match='bank size'):
        knn_predict(torch.randn(2, 3), bank, labels, 2, ks=(5, ))
    with pytest.raises(ValueError, match='weighting'):
        knn_predict(torch.randn(2, 3), bank, labels, 2, (1, ), 'cosine')
    with pytest.raises(ValueError, match='bank labels'):
        knn_predict(torch.randn(2, 3), bank, labels[:3], 2, ks=(1, ))


# --------------------------------------------------------------------------
# The metric
# --------------------------------------------------------------------------
def _sample(feature, label, bank):
    return dict(
        feature=torch.tensor(feature),
        gt_labels=dict(item=torch.tensor([label])),
        knn_bank=bank)


def test_knn_metric_reports_top1_per_k(monkeypatch):
    logged = []
    monkeypatch.setattr(knn_metric, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    metric = KNNMetric(ks=(1, 3, 50))
    samples = [
        _sample([1.0, 0.0], 0, True),
        _sample([0.9, 0.1], 0, True),
        _sample([0.0, 1.0], 1, True),
        _sample([1.0, 0.05], 0, False),
        _sample([0.1, 1.0], 1, False),
        _sample([0.2, 1.0], 0, False),  # nearest to class 1: a miss
    ]
    metric.process({}, samples[:4])
    metric.process({}, samples[4:])
    metrics = metric.evaluate(len(samples))
    assert metrics == {
        'knn/top1_k1': pytest.approx(2 / 3),
        'knn/top1_k3': pytest.approx(2 / 3)
    }
    assert logged == [
        'KNNMetric: k=[50] skipped, the bank has only 3 samples'
    ]


def test_knn_metric_rejects_samples_it_cannot_use():
    metric = KNNMetric()
    with pytest.raises(KeyError, match='feature'):
        metric.process({}, [dict(gt_labels=dict(item=torch.tensor([0])))])
    with pytest.raises(KeyError, match='KNNDataset'):
        metric.process({}, [dict(feature=torch.zeros(2))])
    metric.process({}, [_sample([1.0, 0.0], 0, True)])
    with pytest.raises(ValueError, match='0 query samples'):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='weighting'):
        KNNMetric(weighting='cosine')


# --------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('knn')
    write_pose_dataset(
        root / 'tiny.pkl', [TRAIN_PER_CLASS] * NUM_CLASSES,
        [VAL_PER_CLASS] * NUM_CLASSES,
        empty_splits=['other'])
    return root


def test_knn_dataset_tags_bank_and_queries(tiny):
    init_default_scope('mmaction')
    dataset = KNNDataset(
        ann_file=str(tiny / 'tiny.pkl'),
        bank_split='xsub_train',
        pipeline=KNN_PIPELINE)
    assert dataset.query_split == 'xsub_val'
    num_bank = NUM_CLASSES * TRAIN_PER_CLASS
    assert len(dataset) == num_bank + NUM_CLASSES * VAL_PER_CLASS
    flags = [dataset[i]['data_samples'].knn_bank for i in range(len(dataset))]
    assert flags == [True] * num_bank + [False] * (len(dataset) - num_bank)
    assert tuple(dataset[0]['inputs'].shape) == (1, 2, 50, 25, 3)


def test_knn_dataset_errors_name_the_input(tiny):
    ann_file = str(tiny / 'tiny.pkl')
    with pytest.raises(ValueError, match="no split 'xsub_test'"):
        KNNDataset(ann_file, KNN_PIPELINE, 'xsub_train', 'xsub_test')
    with pytest.raises(ValueError, match="split 'other' is empty"):
        KNNDataset(ann_file, KNN_PIPELINE, 'xsub_train', 'other')
    with pytest.raises(ValueError, match='must be set'):
        KNNDataset(None, KNN_PIPELINE)
    assert query_split_of('xset_train') == 'xset_val'
    with pytest.raises(ValueError, match="'train1'"):
        query_split_of('train1')


# --------------------------------------------------------------------------
# Periodic evaluation during pretraining, and tools/knn_eval.py
# --------------------------------------------------------------------------
@pytest.fixture(scope='module')
def pretrain_run(tiny):
    """One pretraining epoch; the KNN evaluation runs at its end."""
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.train_dataloader.dataset.ann_file = str(tiny / 'tiny.pkl')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.model.queue_size = 16
    cfg.val_evaluator.ks = (1, 5)
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tiny / 'pretrain')
    cfg.experiment_name = f'pretrain_{uuid.uuid4().hex[:8]}'
    cfg.randomness = dict(seed=0)
    runner = build_runner(cfg)
    runner.train()
    return runner


@pytest.mark.slow
def test_pretraining_logs_knn_accuracy_per_epoch(pretrain_run):
    runner = pretrain_run
    dataset = runner.val_loop.dataloader.dataset
    assert isinstance(dataset, KNNDataset)
    assert (dataset.bank_split, dataset.query_split) == \
        ('xsub_train', 'xsub_val')
    scalars = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    knn = [r for r in records if 'knn/top1_k1' in r]
    assert len(knn) == 1 and knn[0]['step'] == 1
    for k in (1, 5):
        assert 0 <= knn[0][f'knn/top1_k{k}'] <= 1



@pytest.mark.slow
def test_knn_eval_tool_matches_the_features(pretrain_run, tiny):
    knn_eval = load_tool('knn_eval')
    ckpt = osp.join(pretrain_run.work_dir, 'epoch_1.pth')
    args = argparse.Namespace(
        config=str(PRETRAIN_CONFIG),
        checkpoint=ckpt,
        ks=[1, 3],
        weighting='uniform',
        temperature=None,
        ann_file=None,
        bank_split=None,
        query_split=None,
        batch_size=4,
        work_dir=str(tiny / 'knn_eval'),
        cfg_options={
            'train_dataloader.dataset.ann_file': str(tiny / 'tiny.pkl'),
            'val_dataloader.num_workers': 0,
            'val_dataloader.persistent_workers': False,
            'model.queue_size': 16,
        },
        launcher='none')
    cfg = knn_eval.knn_test_cfg(Config.fromfile(PRETRAIN_CONFIG), args)
    cfg.experiment_name = f'knn_eval_{uuid.uuid4().hex[:8]}'
    runner = build_runner(cfg)
    metrics = runner.test()
    assert set(metrics) == {'knn/top1_k1', 'knn/top1_k3'}

    # The same numbers from features computed here with the checkpoint.
    model = runner.model.eval()
    pretrained = load_from_local(str(ckpt))['state_dict']
    assert torch.equal(model.backbone.gcn[0].gcn.PA,
                       pretrained['backbone.gcn.0.gcn.PA'])
    feats, labels, bank = [], [], []
    with torch.no_grad():
        for batch in runner.test_dataloader:
            data = model.data_preprocessor(batch, False)
            feats.append(model.extract_feat(data['inputs']))
            labels += [s.gt_labels.item.item() for s in data['data_samples']]
            bank += [s.knn_bank for s in data['data_samples']]
    feats, labels = torch.cat(feats), torch.tensor(labels)
    bank = torch.tensor(bank)
    assert int(bank.sum()) == NUM_CLASSES * TRAIN_PER_CLASS
    preds = knn_predict(
        feats[~bank],
        feats[bank],
        labels[bank],
        NUM_CLASSES, (1, 3),
        weighting='uniform')
    for k, pred in preds.items():
        expected = (pred == labels[~bank]).float().mean().item()
        assert metrics[f'knn/top1_k{k}'] == pytest.approx(expected)
