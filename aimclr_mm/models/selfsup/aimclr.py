from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from mmengine.model import BaseModule

from ..utils import KeyQueue, MomentumEncoder
from .base import BaseSkeletonSelfSupervisor


def check_contrast_settings(queue_size: int, topk: int, momentum: float,
                            temperature: float) -> None:
    """Refuse values that would fail later (a division by zero at the first
    enqueue, top-k past the bank in stage 2) or train nonsense, naming the
    config key, the value and the valid range."""
    problems = []
    if not isinstance(queue_size, int) or queue_size < 1:
        problems.append(f'model.queue_size must be an integer >= 1, got '
                        f'{queue_size!r}')
    elif not isinstance(topk, int) or not 1 <= topk <= queue_size:
        problems.append(f'model.topk must be an integer in [1, '
                        f'model.queue_size={queue_size}], got {topk!r}')
    if not 0 < momentum < 1:
        problems.append(f'model.momentum (key encoder m) must be in (0, 1), '
                        f'got {momentum!r}')
    if not temperature > 0:
        problems.append(f'model.temperature must be > 0, got '
                        f'{temperature!r}')
    if problems:
        raise ValueError('; '.join(problems))


@MODELS.register_module()
class AimCLR(BaseSkeletonSelfSupervisor):
    """AimCLR: contrastive learning from extremely augmented skeletons.

    Views arrive stacked as inputs (N, num_views, M, T, V, C): the normal
    query x_hat, the key x (momentum encoder) and, when D3M is on, the
    extreme query x_tilde. Losses:

    - stage 1: InfoNCE of the normal query (``loss_infonce``);
    - D3M (``loss_d3m``): the extreme query, and its EADM-dropped version when
      ``eadm`` is set, follow the normal query's distribution over
      [key, bank];
    - stage 2 (``mining = True``, set by ``TwoStageLossHook``): NNM replaces
      InfoNCE (``loss_nnm``).

    Table 1 of the paper is a matter of config: ``loss_d3m=None`` (and two
    views) gives SkeletonCLR, or extreme-only training with an extreme view
    as the query; ``eadm=None`` drops EADM; no ``TwoStageLossHook`` keeps
    InfoNCE to the end.

    Args:
        backbone (dict): Encoder f, e.g. ``AimCLRSTGCN``. Its weights live
            under ``backbone.``, where mmaction2's recognizers expect them.
        neck (dict): Projector g, e.g. ``ProjectionMLP``.
        eadm (dict, optional): Drop module on the extreme query's last
            feature map, e.g. ``EADM``.
        loss_infonce (dict): Stage-1 contrastive loss.
        loss_d3m (dict, optional): D3M loss; None disables the extreme view.
        loss_nnm (dict): Stage-2 nearest-neighbour mining loss.
        queue_size (int): Memory bank entries M. Defaults to 32768.
        feature_dim (int): Embedding width. Defaults to 128.
        momentum (float): Key encoder momentum m. Defaults to 0.999.
        temperature (float): tau. Defaults to 0.07.
        topk (int): Neighbours mined per query in stage 2. Defaults to 1.
        key_encoder_init (str): ``'copy'`` starts the key encoder as a copy
            of the query encoder (MoCo); ``'independent'`` initialises it on
            its own, as the official code ends up doing.
        data_preprocessor (dict, optional): Defaults to
            ``SkeletonDataPreprocessor`` (joint stream).
        compile_encoder (bool or dict): Compile the query and key encoders
            with ``torch.compile`` (a dict: its keyword arguments, e.g.
            ``dict(mode='max-autotune')``). In place, so checkpoint keys do
            not change. mmengine's ``compile`` option compiles one method of
            the whole model (``train_step``, in ``Runner.train`` only), not
            the encoders alone. Defaults to False.
    """

    def __init__(self,
                 backbone: Dict,
                 neck: Dict,
                 eadm: Optional[Dict] = None,
                 loss_infonce: Dict = dict(type='InfoNCELoss'),
                 loss_d3m: Optional[Dict] = dict(type='D3MLoss'),
                 loss_nnm: Dict = dict(type='NNMLoss'),
                 queue_size: int = 32768,
                 feature_dim: int = 128,
                 momentum: float = 0.999,
                 temperature: float = 0.07,
                 topk: int = 1,
                 key_encoder_init: str = 'copy',
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 compile_encoder: Union[bool, Dict] = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SkeletonDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        check_contrast_settings(queue_size, topk, momentum, temperature)
        if key_encoder_init not in ('copy', 'independent'):
            raise ValueError('key_encoder_init must be "copy" or '
                             f'"independent", got {key_encoder_init!r}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.eadm = MODELS.build(eadm) if eadm is not None else None
        self.loss_infonce = MODELS.build(loss_infonce)
        self.loss_d3m = MODELS.build(loss_d3m) if loss_d3m is not None \
            else None
        self.loss_nnm = MODELS.build(loss_nnm)
        self.key_encoder_init = key_encoder_init
        self.momentum_encoder = MomentumEncoder(
            nn.Sequential(self.backbone, self.neck),
            momentum=momentum,
            copy_init=key_encoder_init == 'copy')
        self.queue = KeyQueue(feature_dim, queue_size)
        self.temperature = temperature
        self.topk = topk
        self.mining = False
        if compile_encoder:
            kwargs = {} if compile_encoder is True else dict(compile_encoder)
            # the query encoder's pooled features (extract_feat) and the
            # key encoder (backbone + projector) each become one graph
            self.backbone.compile(**kwargs)
            self.momentum_encoder.module.compile(**kwargs)

    def init_weights(self) -> None:
        super().init_weights()
        if self.key_encoder_init == 'independent':
            for module in self.momentum_encoder.module:
                if isinstance(module, BaseModule):
                    module.init_weights()

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled encoder features (N, C) of inputs (N, nc, M, T, V, C),
        averaged over the nc clips or views."""
        n, nc = inputs.shape[:2]
        feat = self.backbone(inputs.flatten(0, 1))
        return self.neck.pool(feat).view(n, nc, -1).mean(dim=1)

    def _check_width(self, feat: torch.Tensor) -> torch.Tensor:
        """Name the mismatch of any registered GCN backbone's output width
        (N, M, C, T', V) and the projector's input, which would otherwise
        fail as a bare matrix-shape error."""
        width = getattr(self.neck, 'in_channels', None)
        if feat.dim() != 5 or (width is not None and feat.shape[2] != width):
            raise ValueError(
                f'{type(self.backbone).__name__} returned features of shape '
                f'{tuple(feat.shape)}, expected (N, M, C, T, V) with C = '
                f'model.neck.in_channels = {width}; set in_channels to the '
                "backbone's output width")
        return feat

    def _embed(self, feat: torch.Tensor) -> torch.Tensor:
        # Embeddings, logits and losses in float32 even under autocast:
        # bfloat16 rounds cosine similarities near 1 to steps of 0.004,
        # 0.06 in logits at tau = 0.07, which slows learning measurably.
        return F.normalize(self.neck(feat).float(), dim=1)

    def _logits(self, query: torch.Tensor, key: torch.Tensor,
                bank: torch.Tensor) -> torch.Tensor:
        """[q.k, q.bank] / tau: (N, 1 + K)."""
        with torch.autocast(query.device.type, enabled=False):
            positive = (query * key).sum(dim=1, keepdim=True)
            negative = query @ bank.to(query.dtype)
            return torch.cat([positive, negative], dim=1) / self.temperature

    def check_views(self, inputs: torch.Tensor) -> None:
        min_views = 3 if self.loss_d3m is not None else 2
        if inputs.dim() != 6 or inputs.shape[1] < min_views:
            raise ValueError(
                f'{type(self).__name__} expects inputs (N, views, M, T, V, '
                f'C) with at least {min_views} views, got shape '
                f'{tuple(inputs.shape)}')

    def contrast(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Embeddings and logits of one batch of views (N, views, M, T, V,
        C), before any loss: ``query``, ``key`` (N, D), ``bank`` (D, K) as
        read by this step, ``logits`` (N, 1 + K) of the normal query and
        ``extreme``, the logits of the extreme query and of its
        EADM-dropped version (an empty list without D3M)."""
        # the previous step's keys: its backward is done by now
        self.queue.flush()
        query = self._embed(self._check_width(self.backbone(inputs[:, 0])))
        with torch.no_grad():
            self.momentum_encoder.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            key = F.normalize(
                self.momentum_encoder(inputs[:, 1]).float(), dim=1)
        # the bank before this batch's keys; they are enqueued deferred (see
        # KeyQueue), as autograd keeps this bank until the backward
        bank = self.queue.bank
        extreme = []
        if self.loss_d3m is not None:
            feat = self.backbone(inputs[:, 2])
            extreme.append(self._logits(self._embed(feat), key, bank))
            if self.eadm is not None:
                dropped = self.eadm(feat.flatten(0, 1)).view_as(feat)
                extreme.append(self._logits(self._embed(dropped), key, bank))
        return dict(query=query, key=key, bank=bank,
                    logits=self._logits(query, key, bank), extreme=extreme)

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[SampleList] = None) -> Dict:
        """Losses of one batch of views (N, num_views, M, T, V, C)."""
        self.check_views(inputs)
        out = self.contrast(inputs)
        logits = out['logits']
        losses = dict()
        if out['extreme']:
            losses['loss_d3m'] = self.loss_d3m(logits, *out['extreme'])
        if self.mining:
            losses['loss_nnm'] = self.loss_nnm(
                logits, [logits, *out['extreme']], self.topk)
        else:
            losses['loss_infonce'] = self.loss_infonce(logits)
        losses.update(self._embedding_stats(out['query'], out['key'],
                                            logits))
        self.queue.enqueue(out['key'])
        return losses

    @staticmethod
    @torch.no_grad()
    def _embedding_stats(query: torch.Tensor, key: torch.Tensor,
                         logits: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Scalars that expose a collapse, logged every iteration.

        - ``query_std``: std across the batch of the normal-query embeddings
          (N, D), averaged over dimensions; 0 when all queries are one vector.
        - ``key_cos``: mean cosine between distinct keys of the batch; 1 when
          all keys are one vector.
        - ``logit_pos`` / ``logit_neg``: mean positive logit and mean
          negative (bank) logit of the normal query; equal when the loss sits
          at ln(1 + K).
        """
        n = key.shape[0]
        with torch.autocast(key.device.type, enabled=False):
            cos = key @ key.t()
        off_diagonal = (cos.sum() - cos.diagonal().sum()) / max(n * (n - 1), 1)
        return dict(
            query_std=query.std(dim=0, unbiased=False).mean(),
            key_cos=off_diagonal,
            logit_pos=logits[:, 0].mean(),
            logit_neg=logits[:, 1:].mean())
