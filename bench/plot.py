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
