"""Convert an official AimCLR checkpoint into this project's layout.

Example::

    python tools/convert_official_checkpoint.py \
        official/xsub_joint_epoch300_model.pt work_dirs/aimclr_official.pth

A pretraining checkpoint becomes an :class:`AimCLR` state dict (usable as
``load_from`` for linear, semi-supervised and finetune configs, whose
``backbone.`` weights it carries); a linear-evaluation checkpoint becomes a
``RecognizerGCN`` state dict. The source is loaded with
:func:`aimclr_mm.engine.runner.load_from_local` (``weights_only=True``): a
file that pickles anything but tensors and plain containers is refused, and
nothing in it runs.

The official ``IO.save_model`` writes a plain ``{name: tensor}`` dict with
``queue``/``queue_ptr`` and the query and key encoders under ``encoder_q.``
and ``encoder_k.`` (pretraining), or only ``encoder_q.`` with a single
``fc`` classifier (linear evaluation and finetuning).
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict

import torch

from aimclr_mm.engine.runner import UnsafeCheckpointError, load_from_local


# official name inside one ST-GCN block -> mmaction2 STGCNBlock name
_BLOCK_RENAMES = {
    'gcn.conv.': 'gcn.conv.',
    'tcn.0.': 'gcn.bn.',
    'tcn.2.': 'tcn.conv.',
    'tcn.3.': 'tcn.bn.',
    'residual.0.': 'residual.conv.',
    'residual.1.': 'residual.bn.',
}
_BLOCK = re.compile(r'st_gcn_networks\.(\d+)\.(.+)$')
_EDGE_IMPORTANCE = re.compile(r'edge_importance\.(\d+)$')


def _convert_encoder(state: Dict[str, torch.Tensor], backbone: str,
                     head: str, num_blocks: int) -> Dict[str, torch.Tensor]:
    out = OrderedDict()
    for name, value in state.items():
        # copies: the official saver may store tensors that share memory
        value = value.detach().clone()
        block = _BLOCK.match(name)
        edge = _EDGE_IMPORTANCE.match(name)
        if name == 'A':
            for i in range(num_blocks):
                out[f'{backbone}gcn.{i}.gcn.A'] = value.clone()
        elif name.startswith('data_bn.'):
            out[backbone + name] = value
        elif edge:
            out[f'{backbone}gcn.{edge.group(1)}.gcn.PA'] = value
        elif block:
            index, rest = block.groups()
            for old, new in _BLOCK_RENAMES.items():
                if rest.startswith(old):
                    out[f'{backbone}gcn.{index}.{new}{rest[len(old):]}'] = \
                        value
                    break
            else:
                raise KeyError(f'Unknown official encoder entry {name!r}')
        elif name.startswith('fc.'):
            out[head + name] = value
        else:
            raise KeyError(f'Unknown official encoder entry {name!r}')
    return out


def convert_official_state_dict(
        state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Map an official AimCLR state dict onto this project's models.

    A pretraining checkpoint maps onto :class:`AimCLR` (``backbone.``,
    ``neck.mlp.``, ``momentum_encoder.module.{0,1}.``, ``queue.``); a linear
    evaluation or finetuning checkpoint onto mmaction2's ``RecognizerGCN``
    (``backbone.``, ``cls_head.fc.``). A stray ``module.`` prefix is
    stripped. Unknown entries raise ``KeyError``; nothing is dropped.
    """
    state = {k.split('module.')[-1]: v for k, v in state.items()}
    encoders = {
        prefix: {
            k[len(prefix):]: v
            for k, v in state.items() if k.startswith(prefix)
        }
        for prefix in ('encoder_q.', 'encoder_k.')
    }
    rest = {
        k: v
        for k, v in state.items()
        if not k.startswith(('encoder_q.', 'encoder_k.'))
    }
    if not encoders['encoder_q.']:
        raise KeyError('No "encoder_q." entries: not an official AimCLR '
                       'checkpoint')
    num_blocks = len({
        m.group(1)
        for m in map(_BLOCK.match, encoders['encoder_q.']) if m
    })
    pretrain = bool(encoders['encoder_k.']) or 'queue' in rest
    out = OrderedDict()
    if pretrain:
        out.update(
            _convert_encoder(encoders['encoder_q.'], 'backbone.', 'neck.',
                             num_blocks))
        out.update(
            _convert_encoder(encoders['encoder_k.'],
                             'momentum_encoder.module.0.',
                             'momentum_encoder.module.1.', num_blocks))
        # official 'fc.0'/'fc.2' are the projector's two linear layers
        out = OrderedDict(
            (re.sub(r'(neck\.|module\.1\.)fc\.', r'\1mlp.', k), v)
            for k, v in out.items())
        # the key encoder has been averaged already: no copy at step 0
        out['momentum_encoder.steps'] = torch.tensor([1])
        for name, new in (('queue', 'queue.bank'), ('queue_ptr', 'queue.ptr')):
            if name in rest:
                out[new] = rest.pop(name).detach().clone()
    else:
        out.update(
            _convert_encoder(encoders['encoder_q.'], 'backbone.', 'cls_head.',
                             num_blocks))
    if rest:
        raise KeyError(f'Unknown official entries: {sorted(rest)}')
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (.pt)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    args = parser.parse_args(argv)
    try:
        state = load_from_local(args.src, map_location='cpu')
    except (UnsafeCheckpointError, FileNotFoundError) as error:
        raise SystemExit(f'convert_official_checkpoint: {error}') from None
    converted = convert_official_state_dict(state)
    torch.save(dict(state_dict=converted, meta=dict(source=args.src)),
               args.dst)
    print(f'{len(state)} official entries -> {len(converted)} entries in '
          f'{args.dst}')


if __name__ == '__main__':
    main()
