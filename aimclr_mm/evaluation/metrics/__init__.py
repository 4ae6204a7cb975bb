from .knn_metric import KNNMetric, knn_predict

__all__ = ['KNNMetric', 'knn_predict']
