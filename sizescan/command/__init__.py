"""The *command*: ``cli`` declares the commands and their options, calls
the library, draws ``progress`` and turns each named failure into one line
and an exit status; ``people`` is the one formatter of sizes, names and
reports for a terminal.  The library never prints; this folder does.
"""
