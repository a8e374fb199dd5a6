"""A Messaging Server configuration read from its files, never by running a program.

`config.MessagingConfig` is the whole answer; `msgconf` (msg.conf over its
defaults), `cnf` (dispatcher.cnf, job_controller.cnf) and `imta` (imta.cnf) read one
file family each; `source` reads files and raises the one error they all raise.
"""
