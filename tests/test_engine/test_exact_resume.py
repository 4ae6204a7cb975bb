"""A killed and resumed pretraining run reproduces the uninterrupted one
step for step: random states, sampler, workers, queue, momentum encoder and
the stage switch all come back."""
import pytest
import torch

from aimclr_mm.engine.runner import load_from_local
from pose_data import write_ntu_like
from tiny_pretrain import tiny_cfg, train, unformatted_config_text  # noqa

pytestmark = pytest.mark.slow  # whole pretraining runs

EPOCHS = 2  # InfoNCE in epoch 1, mining in epoch 2


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    write_ntu_like(root)
    return root


@pytest.mark.parametrize('num_workers', [0, 2])
def test_resumed_run_reproduces_every_loss(root, num_workers):
    tag = f'workers{num_workers}'
    _, whole = train(tiny_cfg(root, f'{tag}_whole', EPOCHS, num_workers))
    # "Killed" after epoch 1: a new process state resumes from epoch_1.pth.
    _, first = train(tiny_cfg(root, f'{tag}_split', 1, num_workers))
    torch.manual_seed(12345)  # what a fresh launch would have is irrelevant
    runner, rest = train(
        tiny_cfg(root, f'{tag}_split', EPOCHS, num_workers, resume=True))

    assert sorted(whole) == list(range(EPOCHS * 2))
    assert sorted(first) == [0, 1] and sorted(rest) == [2, 3]
    assert {**first, **rest} == whole  # exactly, every term of every step
    assert 'loss_nnm' in whole[2] and 'loss_infonce' in whole[1]

    ckpt = load_from_local(str(root / f'{tag}_split' / 'epoch_2.pth'))
    ref = load_from_local(str(root / f'{tag}_whole' / 'epoch_2.pth'))
    for key, value in ref['state_dict'].items():
        # queue.bank/ptr, momentum_encoder.*, backbone.*
        assert torch.equal(ckpt['state_dict'][key], value), key
    for key in ('python', 'numpy', 'torch', 'cuda', 'sampler_seed'):
        assert key in ckpt['random_states']
    assert ckpt['random_states']['sampler_seed'] == 0
