"""Detection metrics for a binary anomaly detector (positive class = anomaly).

Accuracy alone misleads on imbalanced data (88 % of BATADAL's labelled hours are normal), so every
evaluation reports balanced accuracy, precision, recall, F1, false-positive rate and ROC-AUC too.
"""
from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "fpr", "roc_auc")


def detection_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Metrics of anomaly probabilities ``scores`` against labels, at a decision threshold."""
    y_true = np.asarray(y_true).astype(int)
    y_pred = (np.asarray(scores) >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    both_classes = 0 < y_true.sum() < len(y_true)
    return {
        "accuracy": (tp + tn) / len(y_true),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred) if both_classes else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "fpr": fp / (fp + tn) if fp + tn else 0.0,
        "roc_auc": skm.roc_auc_score(y_true, scores) if both_classes else float("nan"),
    }
