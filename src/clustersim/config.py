"""Static facts of one cluster fixed at `clustersim create` (cluster.json).

They never change while the cluster lives, so commands read them once without touching
the state store: node names and ids, the cluster name, the interpreter that built it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from clustersim.layout import ClusterLayout


@dataclass
class ClusterConfig:
    name: str
    nodes: list[str]
    python: str
    src_paths: list[str] = field(default_factory=list)

    def node_id(self, node: str) -> int:
        return self.nodes.index(node) + 1

    def save(self, layout: ClusterLayout) -> None:
        layout.config_file.write_text(json.dumps(self.__dict__, indent=1) + "\n")

    @classmethod
    def load(cls, layout: ClusterLayout) -> ClusterConfig:
        data = json.loads(layout.config_file.read_text())
        return cls(**data)
