"""Bifurcation analysis of single-compartment models, with units.

Works on the model description through the NumPy reference model
(:func:`hh_brian.engines.reference_bridge.reference_model`); no Brian2 simulation.

- :mod:`.field`: the model as ``dy/dt = f(y, p)`` for ``p = I_inj`` or any parameter;
- :mod:`.equilibria`: branches of equilibria, saddle-node and Hopf points
  (pseudo-arclength continuation; Keller 1977);
- :mod:`.lyapunov`: first Lyapunov coefficient (Kuznetsov 2004, eq. 3.20);
- :mod:`.shooting`, :mod:`.continuation`, :mod:`.cycles`: periodic orbits by multiple
  shooting and their pseudo-arclength continuation from Hopf points (or from a
  simulated orbit), folds of cycles, SNIC and homoclinic ends (Seydel 2010);
- :mod:`.diagram`: :func:`bifurcation_diagram`, the whole diagram;
- :mod:`.result`: :class:`BifurcationDiagram`, its CSV tables and summary.
"""

from hh_brian.bifurcation.diagram import Settings, bifurcation_diagram
from hh_brian.bifurcation.result import KINDS, BifurcationDiagram, SpecialPoint

__all__ = ["KINDS", "BifurcationDiagram", "Settings", "SpecialPoint", "bifurcation_diagram"]
