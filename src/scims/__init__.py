"""SUNWscims: the Sun Cluster data-service agent library for Messaging Server 6.3 (SUNW.ims).

Shipped code: Python 3.9+, the standard library and psutil only, never a shell.
"""
