"""What the agent knows of a Messaging Server installation and its running instance.

`installation` checks a server root before it is trusted, `accounts` reads its runtime
user and group from the node's files, `processes` finds and ends the processes of an
instance (the watcher above all), `probes` talks to its services.
"""
