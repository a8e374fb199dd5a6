"""imsreport: what happened to mail, from every node's logs, as one timeline.

The pieces, one concern each: `lines` reads a log line and decides whether to believe it
(the agent's and the engine's own lines only), `engine` knows the cluster engines' messages,
`incidents` groups believed events into incidents (pure), `collect` reads the logs of every
node for a window, `render` writes the timeline (terminal, HTML, JSON) and `cli` is the
program. The chaos campaign calls `incidents.incidents(lines, window)`.
"""
