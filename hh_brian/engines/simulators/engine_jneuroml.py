"""jNeuroML as a registered hh-brian engine (see :mod:`.adapter`): any model hh-brian can
export to NeuroML2 (every channel and gate form; non-standard rates as LEMS ComponentTypes)."""

from hh_brian.engines.simulators.adapter import SimulatorEngine


def export_problem(model) -> str | None:
    """Why the model cannot be exported to NeuroML2, or ``None`` (every hh-brian model can)."""
    return None


ENGINE = SimulatorEngine("jneuroml", ("forward_euler",), export_problem)
