"""The cluster-command layer: the one door to Sun Cluster and what it answers.

How a method is invoked (`invocation`), the scha_* commands, pmfadm and hatimerun
(`commands`, their exit statuses in `scha_errors`), the resources and groups around
ours (`directory`, `logical_hosts`, `storage`), and the RTR file format (`rtr`, with
the system property table `sysprops`).
"""
