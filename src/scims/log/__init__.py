"""The logging stack: the message catalogue and how a line reaches syslog.

`messages` is the catalogue (every user-visible line, with its ID), `msgid` computes
the ID as Solaris does, `cformat` is the printf subset both paths share, and `syslog`
sends the line (libc syslog(3C) on SunOS, the /dev/log datagram elsewhere).
"""
