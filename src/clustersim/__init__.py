"""clustersim: a faithful Sun Cluster 3.x framework on one Linux machine (development tool)."""
