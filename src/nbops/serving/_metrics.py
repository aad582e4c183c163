"""``GET /metrics``: the service's Prometheus metrics, in one private registry."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

disable_created_metrics()  # no *_created series: they only double what is scraped

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """Requests, rows, latency, errors and the model version answering."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "nbops_predict_requests", "Prediction requests answered, by HTTP status",
            ["status"], registry=self.registry)
        self.rows = Counter(
            "nbops_predict_rows", "Records scored", registry=self.registry)
        self.errors = Counter(
            "nbops_predict_errors", "Prediction requests refused or failed, by reason",
            ["reason"], registry=self.registry)
        self.latency = Histogram(
            "nbops_predict_latency_seconds", "Time to answer a prediction request",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.version = Gauge(
            "nbops_model_version", "Registered version answering requests", ["model"],
            registry=self.registry)
        self.scorer = Gauge(
            "nbops_model_scorer", "1 for what scores the answering version: onnx (its ONNX "
            "form) or sklearn, with the library's version", ["model", "scorer", "runtime"],
            registry=self.registry)
        self.batch_requests = Histogram(
            "nbops_predict_batch_requests", "Requests scored together in one model call",
            buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry)
        self.swaps = Counter(
            "nbops_model_swaps", "Times the service switched to a new version",
            registry=self.registry)
        # following the team remote's registry (promotions made on other clones)
        self.remote_polls = Gauge(
            "nbops_registry_remote_polls", "Reads of the team remote's registry since start",
            registry=self.registry)
        self.remote_changes = Gauge(
            "nbops_registry_remote_changes",
            "Changes of the team remote's registry seen since start", registry=self.registry)
        self.remote_errors = Gauge(
            "nbops_registry_remote_errors",
            "Reads of the team remote's registry that failed since start", registry=self.registry)

    def answering(self, name: str, version: int, scorer: str, runtime: str) -> None:
        """Show ``name``'s answering version and what scores it (only that scorer)."""
        self.version.labels(name).set(version)
        self.scorer.clear()
        self.scorer.labels(name, scorer, runtime).set(1)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
