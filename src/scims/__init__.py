"""SUNWscims: the Sun Cluster data-service agent library for Messaging Server 6.3 (SUNW.ims).

Shipped code: Python 3.9+, the standard library and psutil only, never a shell.
"""

RESOURCE_TYPE = "SUNW.ims"
"""The resource type this library is the agent of, without `:version` (the log tag's `<RT>`,
docs/internals.md §3), in one place for the methods, the OCF door and Validate."""
