"""A bar chart of throughput per scenario and peer."""

from __future__ import annotations

from pathlib import Path

from bench.workload import ScenarioResult


def plot_throughput(results: list[ScenarioResult], peers: list[str], path: Path) -> bool:
    """Writes the PNG; False when matplotlib is not installed (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    scenarios = list(dict.fromkeys(result.scenario for result in results))
    by_key = {(result.scenario, result.peer): result.messages_per_second for result in results}
    width = 0.8 / max(1, len(peers))
    figure, axes = plt.subplots(figsize=(10, 5))
    for offset, peer in enumerate(peers):
        positions = [index + offset * width for index in range(len(scenarios))]
        axes.bar(positions, [by_key.get((scenario, peer), 0.0) for scenario in scenarios], width, label=peer)
    axes.set_xticks([index + width * (len(peers) - 1) / 2 for index in range(len(scenarios))])
    axes.set_xticklabels(scenarios, rotation=20, ha="right")
    axes.set_ylabel("messages/s (send → receive → delete)")
    axes.set_title("Throughput per peer")
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def plot_costs(labels: list[str], dynaqueue_usd: list[float], sqs_usd: list[float], path: Path) -> bool:
    """Horizontal bars of US dollars per million messages per scenario, dynaqueue next to Amazon SQS.

    Log scale: dynaqueue costs from a few to over a hundred times SQS's price, so linear bars would
    flatten SQS to nothing. Writes the PNG; False when matplotlib is not installed (the `bench` extra).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    height = 0.4
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(labels) + 1.5))
    positions = list(range(len(labels)))
    dynaqueue_label = "dynaqueue (DynamoDB + HTTP API + Lambda)"
    axes.barh([p - height / 2 for p in positions], dynaqueue_usd, height, label=dynaqueue_label)
    axes.barh([p + height / 2 for p in positions], sqs_usd, height, label="Amazon SQS")
    axes.set_yticks(positions)
    axes.set_yticklabels(labels)
    axes.invert_yaxis()  # first scenario on top, as in the report's tables
    axes.set_xscale("log")
    axes.set_xlabel("US dollars per million messages (send → receive → delete), log scale")
    axes.set_title("Cost per million messages, us-east-1")
    axes.grid(axis="x", which="both", alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True
