"""hh-brian's default integration method and time step, chosen by measurement.

``benchmarks/default_method.py`` runs every built-in cell under its validation current
with every method over a range of dts against the gold solution; the default is the
cheapest method per simulated millisecond among those that cannot blow up at any dt
and meet a 0.1 ms spike-time error on every cell, at the largest such dt
(``benchmarks/results/default_method.md``; the README's "Defaults" table):
``rush_larsen2`` at 0.01 ms (worst cell 0.05 ms).  ``exponential_euler``, the
lecture's method, needs dt = 0.0005 ms for the same accuracy; ``rk4`` meets it at
0.05 ms more cheaply but blows up there on a warmed Traub-Miles cell.
"""

from __future__ import annotations

__all__ = ["DEFAULT_DT_MS", "DEFAULT_METHOD"]

#: The method every entry point uses unless told otherwise.
DEFAULT_METHOD = "rush_larsen2"
#: The time step (ms) every entry point uses unless told otherwise.
DEFAULT_DT_MS = 0.01
