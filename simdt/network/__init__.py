"""Network model: links, topology, routing and flow-level TCP transfers (DESIGN.md section 5)."""
from .fairshare import max_min_rates
from .flows import Network, TransferRecord
from .link import LinkConfig
from .tcp import ideal_transfer_time
from .topology import star_topology

__all__ = ["LinkConfig", "Network", "TransferRecord", "ideal_transfer_time", "max_min_rates", "star_topology"]
