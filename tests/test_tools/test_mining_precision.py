"""tools/mining_precision.py: label precision of the positives NNM and
cross-stream mining pick."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from pose_data import write_pose_dataset
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]
CONFIG_3S = REPO / 'configs' / 'aimclr3s_stgcn_ntu60_xsub.py'
tool = load_tool('mining_precision')


def _one_hot(labels, classes=3):
    return F.one_hot(torch.as_tensor(labels), classes).float()


def test_precision_chance_union_and_agreement_on_known_embeddings():
    labels = np.repeat([0, 1, 2], 4)
    same = _one_hot(labels)
    # stream b's queries point at the next class's keys: every pick wrong
    wrong = _one_hot((labels + 1) % 3)
    noise = 0.01 * torch.randn(12, 3, generator=torch.Generator().
                               manual_seed(0))
    embeddings = dict(a=(F.normalize(same + noise, dim=1), same),
                      b=(wrong, same))
    # the bank holds every sequence: chance is exactly 3 of the 11 others
    result = tool.mining_precision(embeddings, labels, bank_size=12,
                                   topk=1, repeats=3)
    assert result['a']['precision'] == 1.0
    assert result['b']['precision'] == 0.0
    assert result['a']['chance'] == pytest.approx(3 / 11)
    # each query trains with two distinct entries, one of its class
    assert result['a']['union_precision'] == pytest.approx(0.5)
    assert result['b']['union_precision'] == pytest.approx(0.5)
    assert result['a']['same_as_b'] == 0.0 == result['b']['same_as_a']


def test_a_query_never_mines_its_own_sequence():
    keys = F.normalize(torch.randn(10, 4, generator=torch.Generator().
                                   manual_seed(1)), dim=1)
    picks = tool.mined_indices(keys, keys, torch.arange(10), topk=2)
    assert not (picks == torch.arange(10)[:, None]).any()
    # with another bank, the picks are sequence indices, not bank positions
    bank = torch.tensor([7, 3, 5, 1])
    picks = tool.mined_indices(keys, keys, bank, topk=1)
    assert set(picks.flatten().tolist()) <= {7, 3, 5, 1}
    assert picks[3, 0] != 3 and picks[7, 0] != 7


def test_one_stream_has_no_union_and_bad_sizes_are_refused():
    labels = np.repeat([0, 1], 3)
    emb = _one_hot(labels, 2)
    result = tool.mining_precision(dict(joint=(emb, emb)), labels, 6)
    assert set(result['joint']) == {'precision', 'chance'}
    with pytest.raises(ValueError, match='bank size'):
        tool.mining_precision(dict(joint=(emb, emb)), labels, 7)
    with pytest.raises(ValueError, match='topk'):
        tool.mining_precision(dict(joint=(emb, emb)), labels, 3, topk=3)


def test_main_reads_every_stream_of_a_3s_checkpoint(tmp_path, monkeypatch,
                                                    capsys):
    write_pose_dataset(tmp_path / 'tiny.pkl', [3] * 3, [1] * 3)
    init_default_scope('mmaction')
    cfg = Config.fromfile(CONFIG_3S)
    cfg.model.stream_model.queue_size = 4
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / 'three.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'precision.json'
    options = [f'train_dataloader.dataset.ann_file={tmp_path}/tiny.pkl',
               'model.stream_model.queue_size=4']
    monkeypatch.setattr(sys, 'argv', [
        'mining_precision.py', str(CONFIG_3S), str(checkpoint), '--out',
        str(out), '--repeats', '2', '--cfg-options', *options])
    tool.main()
    printed = capsys.readouterr().out
    assert '9 sequences of xsub_train, 3 classes; banks of 4, top-1' in \
        printed
    result = json.loads(out.read_text())
    assert set(result['streams']) == {'joint', 'motion', 'bone'}
    for stream, values in result['streams'].items():
        assert 0 <= values['precision'] <= 1
        assert 0 < values['chance'] < 1
        assert {f'same_as_{o}' for o in ('joint', 'motion', 'bone')
                if o != stream} < set(values)

    # a checkpoint of another model is refused, naming the file
    single = tmp_path / 'single.pth'
    torch.save(dict(state_dict=model.streams['joint'].state_dict()), single)
    monkeypatch.setattr(sys, 'argv', [
        'mining_precision.py', str(CONFIG_3S), str(single), '--cfg-options',
        *options])
    with pytest.raises(SystemExit, match='single.pth: not a checkpoint'):
        tool.main()
