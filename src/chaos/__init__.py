"""Chaos campaigns: mail flowing through the cluster while a seeded nemesis injects faults,
then a checker that reads the store back and gives a verdict (issue 21, docs/chaos.md).

Development tool, not shipped: `make chaos ARGS="--engine sc|pacemaker --seed N ..."`.
The campaign observes and never assumes: every figure it prints comes from what it saw
(the SMTP replies, the store read back, the mounts sampled host-wide, the nodes' logs and
the engine's own record of its method runs).
"""
