from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList

from ..data_preprocessors.skeleton_data_preprocessor import skeleton_stream
from ..losses import (cross_stream_logits, cross_stream_positive_mask,
                      nearest_neighbor_positive_mask)
from .base import BaseSkeletonSelfSupervisor


@MODELS.register_module()
class CrossStreamAimCLR(BaseSkeletonSelfSupervisor):
    """3s-AimCLR with the cross-stream knowledge mining of 3s-CrosSCLR.

    AimCLR (Guo et al., AAAI 2022, https://arxiv.org/abs/2112.03590), the
    rows marked § in its Tables 3-6: one AimCLR per stream (joint, motion,
    bone), each with its own encoder, projector, key encoder and memory
    bank, trained together on the same augmented views (the streams are
    derived from them, so the data pipeline runs once). Every bank is filled
    with the same batch at the same position, so entry j of every bank comes
    from the same training sequence.

    Each stream trains with AimCLR's losses (InfoNCE, D3M, then NNM). From
    the cross-stream stage on (``cross_stream = True``, set by
    ``TwoStageLossHook(flag='cross_stream')``), the NNM loss of stream X
    becomes CrosSCLR's mining loss ``loss_ckm``: for each other stream Y the
    positives are X's key and the bank entries Y ranks highest, and the
    logits gain CrosSCLR's context block when ``context`` is set (see
    :func:`cross_stream_logits`). With ``own_neighbours`` the positives
    also keep the entries X's own queries mine (AimCLR's NNM), so the
    cross-stream step adds to NNM rather than replacing it; False is
    CrosSCLR's positive set exactly. D3M stays on throughout.

    Differences from the official model file (documented there as quirks):
    every key encoder follows its query encoder in both stages (the official
    cross stage updates only the motion one) and the three projectors are
    independent (the official motion and bone projectors wrap the joint
    one).

    Args:
        stream_model (dict): The model of one stream, e.g. ``AimCLR``'s
            config; its ``data_preprocessor`` is set per stream.
        streams (Sequence[str]): Defaults to ('joint', 'motion', 'bone').
        topk (int): Bank entries each other stream mines. Defaults to 1.
        context (bool): CrosSCLR's context block. Defaults to True.
        own_neighbours (bool): Keep each stream's own NNM positives in the
            cross-stream stage. Defaults to True.
        loss_ckm (dict): Cross-stream loss. Defaults to ``CrossStreamLoss``.
        layout (str): Skeleton layout for the bone stream. Defaults to
            ``'nturgb+d'``.
        data_preprocessor (dict, optional): Stacks (and augments) the joint
            views. Defaults to ``SkeletonDataPreprocessor`` (joint).
    """

    def __init__(self,
                 stream_model: Dict,
                 streams: Sequence[str] = ('joint', 'motion', 'bone'),
                 topk: int = 1,
                 context: bool = True,
                 own_neighbours: bool = True,
                 loss_ckm: Dict = dict(type='CrossStreamLoss'),
                 layout: str = 'nturgb+d',
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='SkeletonDataPreprocessor', stream='joint',
                layout=layout)
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if data_preprocessor.stream != 'joint':
            raise ValueError('CrossStreamAimCLR derives every stream from '
                             'joint views: its data_preprocessor needs '
                             f"stream='joint', got {data_preprocessor.stream!r}")
        if len(streams) < 2 or len(set(streams)) != len(streams):
            raise ValueError('CrossStreamAimCLR needs two or more distinct '
                             f'streams, got {tuple(streams)}')
        self.streams = nn.ModuleDict({
            stream: MODELS.build(
                dict(
                    stream_model,
                    data_preprocessor=dict(
                        type='SkeletonDataPreprocessor',
                        stream=stream,
                        layout=layout)))
            for stream in streams
        })
        sizes = {s: m.queue.size for s, m in self.streams.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError('CrossStreamAimCLR needs banks of one size, so '
                             f'that entries line up across streams: {sizes}')
        [size] = set(sizes.values())
        if not isinstance(topk, int) or not 1 <= topk <= size:
            raise ValueError(f'model.topk (cross-stream) must be an integer '
                             f'in [1, queue size {size}], got {topk!r}')
        self.loss_ckm = MODELS.build(loss_ckm)
        self.topk = topk
        self.context = context
        self.own_neighbours = own_neighbours
        self.cross_stream = False

    @property
    def mining(self) -> bool:
        """AimCLR's stage 2 (NNM) in every stream."""
        return all(model.mining for model in self.streams.values())

    @mining.setter
    def mining(self, value: bool) -> None:
        for model in self.streams.values():
            model.mining = value

    def stream_inputs(self, inputs: torch.Tensor, stream: str):
        model = self.streams[stream]
        return skeleton_stream(inputs, stream,
                               model.data_preprocessor.bone_pairs)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled features of every stream, each L2-normalised, concatenated:
        (N, streams * C) of joint inputs (N, nc, M, T, V, C)."""
        return torch.cat([
            F.normalize(model.extract_feat(self.stream_inputs(inputs, s)),
                        dim=1) for s, model in self.streams.items()
        ], dim=1)

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[SampleList] = None) -> Dict:
        """Losses of one batch of joint views (N, num_views, M, T, V, C),
        keyed ``<stream>_loss_*``."""
        outs = {}
        for stream, model in self.streams.items():
            views = self.stream_inputs(inputs, stream)
            model.check_views(views)
            outs[stream] = model.contrast(views)
        losses, stats = {}, {}
        for stream, model in self.streams.items():
            out = outs[stream]
            logits = out['logits']
            ranking = [logits, *out['extreme']]
            if out['extreme']:
                losses[f'{stream}_loss_d3m'] = model.loss_d3m(
                    logits, *out['extreme'])
            if self.cross_stream:
                own = nearest_neighbor_positive_mask(ranking, model.topk) \
                    if self.own_neighbours else None
                pairs = [(cross_stream_logits(
                    out['query'], out['key'], out['bank'],
                    outs[other]['query'], outs[other]['bank'],
                    model.temperature, self.context),
                          cross_stream_positive_mask(
                              outs[other]['query'], outs[other]['bank'],
                              self.topk, self.context, own))
                         for other in self.streams if other != stream]
                losses[f'{stream}_loss_ckm'] = self.loss_ckm(pairs)
            elif model.mining:
                losses[f'{stream}_loss_nnm'] = model.loss_nnm(
                    logits, ranking, model.topk)
            else:
                losses[f'{stream}_loss_infonce'] = model.loss_infonce(logits)
            for name, value in model._embedding_stats(
                    out['query'], out['key'], logits).items():
                stats[f'{stream}_{name}'] = value
        for stream, model in self.streams.items():
            model.queue.enqueue(outs[stream]['key'])
        # the collapse monitor reads the worst stream
        losses['query_std'] = torch.stack(
            [stats[f'{s}_query_std'] for s in self.streams]).min()
        losses['key_cos'] = torch.stack(
            [stats[f'{s}_key_cos'] for s in self.streams]).max()
        losses.update(stats)
        return losses
