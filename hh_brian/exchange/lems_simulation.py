"""A current-clamp protocol as a NeuroML2 network and LEMS simulation file, and back.

:func:`write_simulation` writes the cell (:mod:`hh_brian.exchange.neuroml_export`),
a network file (a ``networkWithTemperature`` at the model's temperature, one
population of one cell, and its inputs) and a LEMS simulation file that records
``v`` of the cell at every step.  Stimuli become NeuroML's own input elements, in
absolute current over the exported area:

==============  =========================================================
hh-brian        NeuroML2
==============  =========================================================
constant        ``pulseGenerator`` from 0 over the whole run
step            ``pulseGenerator`` (delay = onset, duration = offset - onset);
                a non-zero baseline is a second one over the whole run
pulses          one ``pulseGenerator`` per pulse
ramp            ``rampGenerator`` (start, finish, baseline 0)
sine            ``sineGenerator`` (its 2*pi is 2*3.14159265, a relative
                difference of 1e-9 in the period), plus a ``pulseGenerator``
                for the bias
noise, sampled  refused (no NeuroML input element holds them)
==============  =========================================================

:func:`read_lems_protocol` reads a LEMS simulation file (PyLEMS) and the
``pulseGenerator`` inputs of its target network (libNeuroML) back as step
stimuli, with the simulation's length and step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import neuroml
import numpy as np
from brian2 import Quantity, ms

from hh_brian.core.errors import HHBrianInputError
from hh_brian.exchange.neuroml_export import NeuroMLFiles, exported_area, write_cell, write_document
from hh_brian.exchange.nml_units import format_celsius, format_quantity, parse_quantity

#: Population id of the exported network.
POPULATION = "pop"


class CannotExpressInput(HHBrianInputError):
    """A stimulus kind NeuroML has no input element for."""


def _absolute(model, amplitude: Quantity) -> Quantity:
    from hh_brian.models.currents import current_density

    return Quantity(current_density(model, amplitude) * exported_area(model))


def _time(value: Quantity) -> str:
    return format_quantity(value, "time")


def input_elements(model, stimuli, duration: Quantity) -> tuple[list, list[str]]:
    """NeuroML input elements (libNeuroML objects) for *stimuli*, and how each was expressed."""
    from hh_brian.models.stimulus_kinds import Constant, PulseTrain, Step
    from hh_brian.models.stimulus_smooth import Ramp, Sine

    elements, described = [], []

    def pulse(amplitude, delay, length):
        pid = f"input{len(elements)}"
        elements.append(
            neuroml.PulseGenerator(
                id=pid,
                delay=_time(delay),
                duration=_time(length),
                amplitude=format_quantity(_absolute(model, amplitude), "current", exact=False),
            )
        )

    for stim in stimuli:
        if np.ndim(getattr(stim, "amplitude", 0)) or np.ndim(getattr(stim, "start", 0)):
            raise CannotExpressInput(f"{stim.describe()}: one value per neuron; give one")
        if isinstance(stim, Constant):
            pulse(stim.amplitude, 0 * ms, duration)
            described.append(f"{stim.describe()} -> pulseGenerator over the whole run")
        elif isinstance(stim, Step):
            end = duration if stim.offset is None else min(stim.offset, duration)
            if float(np.asarray(stim.baseline)) != 0:
                pulse(stim.baseline, 0 * ms, duration)
                pulse(stim.amplitude - stim.baseline, stim.onset, end - stim.onset)
            else:
                pulse(stim.amplitude, stim.onset, end - stim.onset)
            described.append(f"{stim.describe()} -> pulseGenerator")
        elif isinstance(stim, PulseTrain):
            k, first = 0, len(elements)
            while stim.count is None or k < stim.count:
                start = stim.onset + k * stim.period
                if start >= duration:
                    break
                pulse(stim.amplitude, start, min(stim.width, duration - start))
                k += 1
            described.append(f"{stim.describe()} -> {len(elements) - first} pulseGenerators")
        elif isinstance(stim, Ramp):
            elements.append(
                neuroml.RampGenerator(
                    id=f"input{len(elements)}",
                    delay=_time(stim.onset),
                    duration=_time(stim.offset - stim.onset),
                    start_amplitude=format_quantity(
                        _absolute(model, stim.start), "current", exact=False
                    ),
                    finish_amplitude=format_quantity(
                        _absolute(model, stim.stop), "current", exact=False
                    ),
                    baseline_amplitude="0nA",
                )
            )
            described.append(f"{stim.describe()} -> rampGenerator")
        elif isinstance(stim, Sine):
            end = duration if stim.offset is None else stim.offset
            elements.append(
                neuroml.SineGenerator(
                    id=f"input{len(elements)}",
                    delay=_time(stim.onset),
                    phase=repr(float(stim.phase)),
                    duration=_time(end - stim.onset),
                    amplitude=format_quantity(
                        _absolute(model, stim.amplitude), "current", exact=False
                    ),
                    period=_time(1 / stim.frequency),
                )
            )
            if float(np.asarray(stim.bias)) != 0:
                pulse(stim.bias, stim.onset, end - stim.onset)
            described.append(
                f"{stim.describe()} -> sineGenerator (2*pi taken as 2*3.14159265)"
                + (" + pulseGenerator for the bias" if float(np.asarray(stim.bias)) else "")
            )
        else:
            raise CannotExpressInput(
                f"{stim.describe()}: NeuroML2 has no input element for a {stim.kind} stimulus "
                "(jNeuroML takes steps, pulses, ramps and sines); use one of those"
            )
    return elements, described


@dataclass(frozen=True)
class Simulation(NeuroMLFiles):
    """Files of :func:`write_simulation` plus how the stimuli were expressed."""

    stimulus: str = ""


def write_simulation(
    model, folder: str | Path, *, stimuli, duration: Quantity, dt: Quantity
) -> Simulation:
    """Write cell, channels, network and LEMS simulation files for *stimuli* into *folder*.

    Parameters
    ----------
    model : CellModel
    folder : str or Path
        Must exist.
    stimuli : sequence of Stimulus
    duration, dt : Quantity
        The LEMS ``Simulation``'s length and step.

    Raises
    ------
    CannotExpressInput
        For a stimulus kind NeuroML has no element for (noise, sampled).
    """
    from pyneuroml.lems import LEMSSimulation

    folder = Path(folder)
    elements, described = input_elements(model, stimuli, duration)
    cell, channels = write_cell(model, folder)
    net_id = f"{model.name}_network"
    network = neuroml.Network(
        id=net_id, type="networkWithTemperature", temperature=format_celsius(model.celsius)
    )
    network.populations.append(neuroml.Population(id=POPULATION, component=model.name, size=1))
    doc = neuroml.NeuroMLDocument(id=net_id)
    doc.includes.append(neuroml.IncludeType(href=cell.name))
    for element in elements:
        attribute = {
            neuroml.PulseGenerator: "pulse_generators",
            neuroml.RampGenerator: "ramp_generators",
            neuroml.SineGenerator: "sine_generators",
        }[type(element)]
        getattr(doc, attribute).append(element)
        network.explicit_inputs.append(
            neuroml.ExplicitInput(
                target=f"{POPULATION}[0]", input=element.id, destination="synapses"
            )
        )
    doc.networks.append(network)
    net_file = write_document(doc, folder / f"{model.name}.net.nml")
    sim_id = f"sim_{model.name}"
    sim = LEMSSimulation(
        sim_id, float(duration / ms), float(dt / ms), target=net_id, simulation_seed=1
    )
    sim.include_neuroml2_file(net_file.name, include_included=False)
    output = f"{model.name}.v.dat"
    sim.create_output_file("v_file", output)
    sim.add_column_to_output_file("v_file", "v", f"{POPULATION}[0]/v")
    lems = Path(sim.save_to_file(file_name=str(folder / f"LEMS_{model.name}.xml")))
    return Simulation(
        cell=cell,
        channels=channels,
        network=net_file,
        lems=lems,
        output=folder / output,
        stimulus="; ".join(described) or "no input",
    )


@dataclass(frozen=True)
class LemsProtocol:
    """A LEMS simulation file's run: its stimuli (steps), length, step and the files read."""

    stimuli: tuple
    duration: Quantity
    dt: Quantity
    network_file: Path
    notes: tuple[str, ...]


def read_lems_protocol(path: str | Path, *, area: Quantity | None = None) -> LemsProtocol:
    """The ``pulseGenerator`` inputs of a LEMS simulation file as step stimuli.

    Parameters
    ----------
    path : str or Path
        A LEMS file with a ``Simulation`` whose target is a network in an included
        NeuroML file.
    area : Quantity, optional
        Divides the absolute amplitudes into densities; without it the stimuli
        keep absolute currents (for models with an area).

    Raises
    ------
    HHBrianInputError
        A file PyLEMS cannot read, no ``Simulation``, a target network that is not
        in an included file, or an input other than ``pulseGenerator``.
    """
    from lems.model.model import Model
    from neuroml.loaders import read_neuroml2_file

    from hh_brian.models.stimulus_kinds import Step

    path = Path(path)
    if not path.is_file():
        raise HHBrianInputError(f"{path}: no such LEMS file")
    model = Model(include_includes=False)
    try:
        model.import_from_file(str(path))
    except Exception as exc:  # PyLEMS raises many kinds for bad files
        raise HHBrianInputError(f"{path}: PyLEMS cannot read it ({exc})") from None
    sims = [c for c in model.components.values() if c.type == "Simulation"]
    if len(sims) != 1:
        raise HHBrianInputError(f"{path}: expected one <Simulation>, found {len(sims)}")
    p = sims[0].parameters
    duration = parse_quantity(p.get("length"), "time", what=f"{path}: Simulation length")
    dt = parse_quantity(p.get("step"), "time", what=f"{path}: Simulation step")
    target = p.get("target")
    from lxml import etree

    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    for include in root.getroot().iter("{*}Include", "Include"):
        candidate = path.parent / str(include.get("file", ""))
        if candidate.suffix != ".nml" or not candidate.is_file():
            continue
        doc = read_neuroml2_file(str(candidate), include_includes=True, verbose=False)
        network = next((n for n in doc.networks if n.id == target), None)
        if network is None:
            continue
        generators = {g.id: g for g in doc.pulse_generators}
        ids = [e.input for e in network.explicit_inputs]
        ids += [il.component for il in network.input_lists for _ in il.input]
        stimuli = []
        for gid in ids:
            if gid not in generators:
                raise HHBrianInputError(
                    f"{candidate}: input {gid!r} is not a pulseGenerator; hh-brian reads "
                    "pulseGenerator inputs from a LEMS simulation"
                )
            g = generators[gid]
            amplitude = parse_quantity(g.amplitude, "current", what=f"pulseGenerator {gid!r}")
            amplitude = amplitude / area if area is not None else amplitude
            onset = parse_quantity(g.delay, "time", what=f"pulseGenerator {gid!r} delay")
            length = parse_quantity(g.duration, "time", what=f"pulseGenerator {gid!r} duration")
            stimuli.append(Step(amplitude=amplitude, onset=onset, offset=onset + length))
        notes = (f"{len(stimuli)} pulseGenerator inputs of network {target!r} in {candidate.name}",)
        return LemsProtocol(tuple(stimuli), duration, dt, candidate, notes)
    raise HHBrianInputError(
        f"{path}: the Simulation's target network {target!r} is in none of its included .nml files"
    )


__all__ = [
    "CannotExpressInput",
    "LemsProtocol",
    "POPULATION",
    "Simulation",
    "input_elements",
    "read_lems_protocol",
    "write_simulation",
]
