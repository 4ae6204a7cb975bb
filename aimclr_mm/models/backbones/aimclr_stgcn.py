import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmaction.models.backbones.stgcn import STGCN, STGCNBlock
from mmaction.models.utils import Graph
from mmaction.registry import MODELS
from mmengine.model import BaseModule, ModuleList


@MODELS.register_module()
class AimCLRSTGCN(STGCN):
    """ST-GCN encoder of AimCLR, built from mmaction2's ST-GCN blocks.

    mmaction2's :class:`STGCN` derives every block's width from
    ``base_channels`` and one inflation ratio, which cannot express the
    encoder of the paper (16, 16, 16, 16, 32, 32, 32, 64, 64, **256**). This
    subclass takes the widths explicitly and otherwise keeps mmaction2's
    blocks, data BatchNorm and forward pass, so checkpoints stay in
    mmaction2's key layout (``data_bn.*``, ``gcn.{i}.*``).

    Args:
        graph_cfg (dict): Config of :class:`mmaction.models.utils.Graph`.
        in_channels (int): Channels of the input skeleton. Defaults to 3.
        stage_channels (Sequence[int]): Output channels of each block.
        down_stages (Sequence[int]): 1-based blocks with temporal stride 2,
            as in mmaction2. Defaults to ``(5, 8)``.
        data_bn_type (str): ``'VC'``, ``'MVC'`` or anything else for no data
            BatchNorm. Defaults to ``'VC'``.
        num_person (int): Persons, used by ``data_bn_type='MVC'``.
        frozen (bool): Freeze the whole encoder for linear evaluation: no
            gradients, and it stays in eval mode so its BatchNorm statistics
            do not move either. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialisation of every
            layer of the encoder, replacing the blocks' own.
        **kwargs: Block options with mmaction2's ``gcn_``/``tcn_`` prefixes,
            a scalar for all blocks or a list with one value per block. The
            first block never gets ``tcn_dropout``, as in mmaction2 and the
            official encoder.

    Input (N, M, T, V, C); output (N, M, C_last, T', V).
    """

    def __init__(self,
                 graph_cfg: Dict,
                 in_channels: int = 3,
                 stage_channels: Sequence[int] = (16, 16, 16, 16, 32, 32, 32,
                                                  64, 64, 256),
                 down_stages: Sequence[int] = (5, 8),
                 data_bn_type: str = 'VC',
                 num_person: int = 2,
                 frozen: bool = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None,
                 **kwargs) -> None:
        BaseModule.__init__(self, init_cfg=init_cfg)
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        self.data_bn_type = data_bn_type
        if data_bn_type == 'MVC':
            self.data_bn = nn.BatchNorm1d(num_person * in_channels * A.size(1))
        elif data_bn_type == 'VC':
            self.data_bn = nn.BatchNorm1d(in_channels * A.size(1))
        else:
            self.data_bn = nn.Identity()

        num_stages = len(stage_channels)
        stage_kwargs = [copy.deepcopy(kwargs) for _ in range(num_stages)]
        for key, value in kwargs.items():
            if isinstance(value, (tuple, list)) and len(value) == num_stages:
                for i in range(num_stages):
                    stage_kwargs[i][key] = value[i]
        stage_kwargs[0].pop('tcn_dropout', None)

        blocks = []
        block_in = in_channels
        for i, block_out in enumerate(stage_channels):
            stride = 2 if (i + 1) in down_stages else 1
            blocks.append(
                STGCNBlock(
                    block_in,
                    block_out,
                    A.clone(),
                    stride,
                    residual=i > 0,
                    **stage_kwargs[i]))
            block_in = block_out
        self.in_channels = in_channels
        self.stage_channels = tuple(stage_channels)
        self.out_channels = block_in
        self.num_stages = num_stages
        self.gcn = ModuleList(blocks)
        if init_cfg is not None:
            # The encoder's own init_cfg covers every layer, as the official
            # weights_init does; mmaction2's blocks would otherwise re-apply
            # their Kaiming init afterwards.
            for module in self.gcn.modules():
                if isinstance(module, BaseModule):
                    module.init_cfg = None
        self.frozen = frozen
        if frozen:
            self.requires_grad_(False)
            self.eval()

    def train(self, mode: bool = True) -> 'AimCLRSTGCN':
        return super().train(mode and not self.frozen)
