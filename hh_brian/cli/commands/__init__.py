"""Subcommands of ``hh-brian``, one module each (registered in ``hh_brian.cli.main``)."""
