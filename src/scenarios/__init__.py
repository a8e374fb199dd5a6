"""The administrator's procedures of the Messaging Server 6.3 guide, as executable scenarios.

Development tool, not shipped: it drives the stand-in cluster (clustersim) and Messaging
Server (mssim) through their commands exactly as an administrator would type them, so the
demo (`make demo`) and the end-to-end tests run the same steps.
"""
