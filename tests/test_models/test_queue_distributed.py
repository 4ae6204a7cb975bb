"""Two CPU processes over gloo: the memory bank stays identical on both ranks
and holds the keys of both, in rank order, whatever the batch sizes; the
three banks of 3s-AimCLR stay identical too and fill in step."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

pytestmark = pytest.mark.slow  # two spawned processes

STEPS = [(3, 3), (3, 3), (3, 4), (2, 3)]  # per-rank batch sizes per step
QUEUE_SIZE = 16


def _init_group(rank: int, world_size: int, out_dir: str) -> None:
    """A gloo group met through a file in the test's folder: no port that
    another process on a busy machine could take first."""
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo', init_method=f"file://{os.path.join(out_dir, 'store')}",
        rank=rank, world_size=world_size)


def _worker(rank: int, world_size: int, out_dir: str) -> None:
    _init_group(rank, world_size, out_dir)
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope

    from small_aimclr import SMALL_MODEL, views

    import aimclr_mm  # noqa: F401
    from aimclr_mm.engine.runner import close_dist
    from mmaction.registry import MODELS
    init_default_scope('mmaction')

    torch.manual_seed(0)
    model = MODELS.build(dict(SMALL_MODEL, queue_size=QUEUE_SIZE))
    local_keys = []
    enqueue = model.queue.enqueue

    def spy(keys):
        local_keys.append(keys.detach().clone())
        enqueue(keys)

    model.queue.enqueue = spy
    ddp = MMDistributedDataParallel(model, broadcast_buffers=False)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    record = []
    for step, sizes in enumerate(STEPS):
        batch = views(n=sizes[rank], seed=100 * step + rank)
        ptr_before = int(model.queue.ptr)
        ddp.train_step(dict(inputs=list(batch), data_samples=None), optim)
        banks = [torch.zeros_like(model.queue.bank) for _ in range(2)]
        dist.all_gather(banks, model.queue.bank)
        keys = [None, None]
        dist.all_gather_object(keys, local_keys[-1])
        record.append(
            dict(
                ptr_before=ptr_before,
                ptr=int(model.queue.ptr),
                banks=banks,
                keys=keys))
    if rank == 0:
        torch.save(record, os.path.join(out_dir, 'record.pt'))
    del ddp
    close_dist()


def _run_two_ranks(worker, tmp_path) -> list:
    """Run ``worker`` on two gloo processes; rank 0's record."""
    # the spawned ranks import this module and the helpers in tests/
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [here, os.path.dirname(here), os.environ.get('PYTHONPATH', '')])
    mp.spawn(
        worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    return torch.load(tmp_path / 'record.pt', weights_only=False)


def test_queue_is_identical_on_ranks_and_holds_all_keys(tmp_path):
    record = _run_two_ranks(_worker, tmp_path)
    assert len(record) == len(STEPS)
    for step, entry in enumerate(record):
        bank0, bank1 = entry['banks']
        assert torch.equal(bank0, bank1), f'banks differ after step {step}'
        keys = torch.cat(entry['keys'])  # rank 0's keys, then rank 1's
        assert keys.shape[0] == sum(STEPS[step])
        columns = [(entry['ptr_before'] + i) % QUEUE_SIZE
                   for i in range(keys.shape[0])]
        assert torch.allclose(bank0[:, columns].t(), keys, atol=1e-6)
        assert entry['ptr'] == (entry['ptr_before'] +
                                keys.shape[0]) % QUEUE_SIZE


def _cross_stream_worker(rank: int, world_size: int, out_dir: str) -> None:
    _init_group(rank, world_size, out_dir)
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope

    from small_aimclr import SMALL_MODEL, views

    import aimclr_mm  # noqa: F401
    from aimclr_mm.engine.runner import close_dist
    from mmaction.registry import MODELS
    init_default_scope('mmaction')

    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='CrossStreamAimCLR',
             stream_model=dict(SMALL_MODEL, queue_size=QUEUE_SIZE)))
    ddp = MMDistributedDataParallel(model, broadcast_buffers=False)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    record = []
    for step, sizes in enumerate(STEPS):
        # the cross-stream stage from the third step on
        model.mining = model.cross_stream = step >= 2
        batch = views(n=sizes[rank], seed=100 * step + rank)
        ddp.train_step(dict(inputs=list(batch), data_samples=None), optim)
        entry = {}
        for stream, sub in model.streams.items():
            banks = [torch.zeros_like(sub.queue.bank) for _ in range(2)]
            dist.all_gather(banks, sub.queue.bank)
            entry[stream] = dict(banks=banks, ptr=int(sub.queue.ptr))
        record.append(entry)
    if rank == 0:
        torch.save(record, os.path.join(out_dir, 'record.pt'))
    del ddp
    close_dist()


def test_cross_stream_banks_are_identical_on_ranks_and_line_up(tmp_path):
    record = _run_two_ranks(_cross_stream_worker, tmp_path)
    assert len(record) == len(STEPS)
    total = 0
    for step, entry in enumerate(record):
        total += sum(STEPS[step])
        assert set(entry) == {'joint', 'motion', 'bone'}
        for stream, state in entry.items():
            bank0, bank1 = state['banks']
            assert torch.equal(bank0, bank1), \
                f'{stream} banks differ after step {step}'
            # all three banks write the same sequences at the same place
            assert state['ptr'] == total % QUEUE_SIZE
        banks = [entry[s]['banks'][0] for s in entry]
        assert not torch.equal(banks[0], banks[1])
