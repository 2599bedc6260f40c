"""Subcommands of ``hh-brian``, one module each; each registers itself in
:mod:`hh_brian.cli.registry` (``hh_brian.cli.main`` imports them)."""
