"""The relationship network: RDF projected onto compact arrays, and what is computed on it.

Reads a store through named queries and returns data; never renders HTML (that is
``network_html``). The only files it writes are the shared arrays beside an on-disk
store (``network.shared``), one set per dataset version.
"""

from civicgraph.network.analysis import (
    COMMUNITY_METHODS,
    MEASURES,
    CommunityMethod,
    Measure,
    parse_measure,
    parse_method,
)
from civicgraph.network.model import EdgeInfo, NodeInfo
from civicgraph.network.paths import Hop, HopEdge, Path, PathResult, find_paths
from civicgraph.network.projection import GROUPS, ProjectionOptions, project
from civicgraph.network.serialize import edge_json, node_json, path_json, view_json
from civicgraph.network.service import (
    NetworkExplorer,
    Projection,
    ego_of_best_connected_hub,
    paths_between,
)
from civicgraph.network.views import (
    EvidenceFilter,
    Overflow,
    View,
    ViewEdge,
    ViewNode,
    ViewRequest,
)
from civicgraph.readmodels.evidence import CitedSource, Confidence, Evidence

__all__ = [
    "COMMUNITY_METHODS",
    "GROUPS",
    "MEASURES",
    "CitedSource",
    "CommunityMethod",
    "Confidence",
    "EdgeInfo",
    "Evidence",
    "EvidenceFilter",
    "Hop",
    "HopEdge",
    "Measure",
    "NetworkExplorer",
    "NodeInfo",
    "Overflow",
    "Path",
    "PathResult",
    "Projection",
    "ProjectionOptions",
    "View",
    "ViewEdge",
    "ViewNode",
    "ViewRequest",
    "edge_json",
    "ego_of_best_connected_hub",
    "find_paths",
    "node_json",
    "parse_measure",
    "parse_method",
    "path_json",
    "paths_between",
    "project",
    "view_json",
]
