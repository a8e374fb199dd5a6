"""The administrator's procedures of the Messaging Server 6.3 guide, as executable scenarios.

`imsguide`: the guide for SUNW.ims (the name says which guide, where a wheel's top-level
`scenarios` would say nothing).

Development tool, not shipped: it drives the stand-in cluster (clustersim) and Messaging
Server (mssim) through their commands exactly as an administrator would type them, so the
demo (`make demo`) and the end-to-end tests run the same steps.
"""
