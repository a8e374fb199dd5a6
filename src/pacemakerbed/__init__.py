"""pacemakerbed: a three-node Pacemaker/Corosync cluster on hostlab hosts, for the OCF agent.

A test bed (never shipped): each node is a hostlab host (network, mount, UTS and PID
namespaces) on a private segment, running corosync and pacemakerd as on a real node started
by hand (no systemd); the cluster fences with `fence_hostlab`, which powers a host off
through the bed's power switch; Messaging Server (mssim) keeps its configuration on a shared
ext4 disk managed by ocf:heartbeat:Filesystem, its address is an ocf:heartbeat:IPaddr2, and
our ocf:sunw:ims completes the group. See `pacemakerbed.bed`.
"""
