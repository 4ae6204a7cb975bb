from .d3m_loss import D3MLoss
from .infonce_loss import InfoNCELoss
from .nnm_loss import NNMLoss, nearest_neighbor_positive_mask

__all__ = [
    'InfoNCELoss', 'D3MLoss', 'NNMLoss', 'nearest_neighbor_positive_mask'
]
