"""One stream's model out of a 3s-AimCLR (``CrossStreamAimCLR``) checkpoint.

The weights under ``streams.<stream>.`` become a single-stream AimCLR
state dict (the encoder under ``backbone.``), the ``load_from`` of that
stream's linear, semi-supervised and finetune configs::

    python tools/extract_stream.py \\
        work_dirs/aimclr3s_stgcn_ntu60_xsub/epoch_300.pth motion \\
        work_dirs/aimclr3s_stgcn_ntu60_xsub/motion.pth
    python tools/train.py \\
        configs/linear/aimclr_stgcn_linear_ntu60_xsub_motion.py \\
        --cfg-options \\
        load_from=work_dirs/aimclr3s_stgcn_ntu60_xsub/motion.pth
"""
import argparse
import os
import os.path as osp

import torch

from aimclr_mm.engine.runner.checkpoint import load_from_local


def extract_stream(state_dict: dict, stream: str) -> dict:
    """The entries under ``streams.<stream>.``, that prefix removed."""
    prefix = f'streams.{stream}.'
    out = {k[len(prefix):]: v for k, v in state_dict.items()
           if k.startswith(prefix)}
    if not out:
        found = sorted({k.split('.')[1] for k in state_dict
                        if k.startswith('streams.')})
        raise KeyError(
            f'no weights under {prefix!r}: not a 3s-AimCLR checkpoint'
            if not found else
            f'no weights under {prefix!r}; the checkpoint has the streams '
            f"{', '.join(found)}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='3s-AimCLR checkpoint')
    parser.add_argument('stream', help='joint, motion or bone')
    parser.add_argument('out', help='output checkpoint (.pth)')
    args = parser.parse_args()
    ckpt = load_from_local(args.checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    try:
        weights = extract_stream(state, args.stream)
    except KeyError as error:
        parser.exit(2, f'{args.checkpoint}: {error.args[0]}\n')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(dict(state_dict=weights,
                    meta=dict(source=args.checkpoint, stream=args.stream)),
               args.out)
    print(f'{len(weights)} entries of the {args.stream} stream -> {args.out}')


if __name__ == '__main__':
    main()
