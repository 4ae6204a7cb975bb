"""Exact t-SNE (van der Maaten and Hinton, 2008) in numpy.

For the few thousand validation features of a t-SNE figure; the pairwise
matrices are (N, N), so memory and time grow with N squared.
"""
import numpy as np

__all__ = ['tsne']


def _conditional_probabilities(sq_dist: np.ndarray, perplexity: float,
                               tol: float = 1e-5,
                               max_steps: int = 100) -> np.ndarray:
    """Rows p(j|i) whose entropy is log(perplexity), by bisection on the
    precision beta_i = 1 / (2 sigma_i^2)."""
    n = sq_dist.shape[0]
    target = np.log(perplexity)
    P = np.zeros((n, n))
    for i in range(n):
        d = np.delete(sq_dist[i], i)
        d = d - d.min()  # exp(-beta d) keeps its largest entry at 1
        beta, lo, hi = 1.0, 0.0, np.inf
        for _ in range(max_steps):
            p = np.exp(-beta * d)
            total = p.sum()
            entropy = np.log(total) + beta * (d * p).sum() / total
            if abs(entropy - target) < tol:
                break
            if entropy > target:  # too flat: sharpen
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = (beta + lo) / 2
        P[i, np.arange(n) != i] = p / total
    return P


def tsne(x: np.ndarray,
         perplexity: float = 30.0,
         num_iters: int = 1000,
         early_exaggeration: float = 12.0,
         seed: int = 0) -> np.ndarray:
    """Embed features in 2-D with exact t-SNE.

    Gradient descent with momentum (0.5, then 0.8) and per-parameter gains,
    early exaggeration for the first 250 steps, learning rate
    max(N / early_exaggeration / 4, 50) and a PCA start scaled to standard
    deviation 1e-4, as scikit-learn does.

    Args:
        x (np.ndarray): (N, C) features, N >= 2.
        perplexity (float): Effective number of neighbours; lowered to
            (N - 1) / 3 for small N. Defaults to 30.
        num_iters (int): Gradient steps. Defaults to 1000.
        early_exaggeration (float): Factor on P in the first 250 steps.
        seed (int): Seed of the tiny noise that breaks ties in the start.

    Returns:
        np.ndarray: (N, 2) embedding.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f't-SNE needs (N, C) features with N >= 2, got '
                         f'shape {x.shape}')
    if not np.isfinite(x).all():
        raise ValueError('t-SNE: the features contain NaN or inf')
    n = x.shape[0]
    perplexity = min(perplexity, max((n - 1) / 3, 1.0))
    sq = (x * x).sum(1)
    sq_dist = np.maximum(sq[:, None] + sq[None] - 2 * x @ x.T, 0)
    P = _conditional_probabilities(sq_dist, perplexity)
    P = np.maximum((P + P.T) / (2 * n), 1e-12)

    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    y = centred @ vt[:2].T if vt.shape[0] >= 2 else \
        np.random.default_rng(seed).standard_normal((n, 2))
    y = y + 1e-8 * np.random.default_rng(seed).standard_normal(y.shape)
    y = y / (y[:, 0].std() + 1e-12) * 1e-4

    lr = max(n / early_exaggeration / 4, 50)
    update, gains = np.zeros_like(y), np.ones_like(y)
    exaggerated = P * early_exaggeration
    for step in range(num_iters):
        early = step < 250
        sq_y = (y * y).sum(1)
        num = 1 / (1 + sq_y[:, None] + sq_y[None] - 2 * y @ y.T)
        np.fill_diagonal(num, 0)
        Q = np.maximum(num / num.sum(), 1e-12)
        W = ((exaggerated if early else P) - Q) * num
        grad = 4 * (np.diag(W.sum(1)) - W) @ y
        momentum = 0.5 if early else 0.8
        same_sign = np.sign(grad) == np.sign(update)
        gains = np.maximum(np.where(same_sign, gains * 0.8, gains + 0.2),
                           0.01)
        update = momentum * update - lr * gains * grad
        y = y + update
    return y - y.mean(0)
