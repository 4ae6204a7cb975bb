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
"""
import argparse

import torch

from aimclr_mm.engine.runner import UnsafeCheckpointError, load_from_local
from aimclr_mm.models import convert_official_state_dict


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
