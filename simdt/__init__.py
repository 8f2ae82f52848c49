"""simdt: judge federated anomaly-detection methods for industrial IoT in hours of real time and bytes on real links."""
from simdt.runner import run
from simdt.scenario import ScenarioError, load

__all__ = ["run", "load", "ScenarioError"]
__version__ = "0.1.0"
