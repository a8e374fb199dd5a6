"""Helpers that the test directories share, imported as `support.<module>`.

Why a package: each directory once kept its own copy of the same helpers (five `wait_for`s,
four naming schemes), and conftest.py files mixed helpers with fixtures. Here a helper is
written once; a conftest.py holds fixtures only. pytest puts `tests/` on sys.path
(`pythonpath` in pyproject.toml), so `from support.waiting import wait_for` works in every
test directory.

- `waiting`: poll until a condition holds, or fail the test saying what it waited for.
- `clusternode`: one stand-in node (syslogd and pmfd) for the node-layer tests.
- `sleeper`: the two-node cluster of the clustersim tests and its TEST.sleeper package.
- `mssim`: a stand-in Messaging Server installation on a private loopback address.
- `machine`: what the machine itself holds (interfaces, namespaces, loop devices).
- `ocf`: what the OCF suite's tests share with its conftest.
- `imports`: the library files a program imports (what a package must ship).
- `spawns`: a pytest plugin (`-p support.spawns`) listing the tests that start a process.
"""
