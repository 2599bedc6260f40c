"""Model exchange: NeuroML2/LEMS import and export, and the ``export`` formats.

* :mod:`.nml_units` -- NeuroML quantities (``"120mS_per_cm2"``) to and from Brian2;
* :mod:`.lems_expr` -- rate expressions to and from LEMS expression text;
* :mod:`.rate_forms` -- NeuroML's standard rate forms (``HHExpRate``, ``HHSigmoidRate``,
  ``HHExpLinearRate``, ``HHSigmoidVariable``, ``fixedTimeCourse``) recognised in a rate;
* :mod:`.neuroml_export` / :mod:`.neuroml_import` -- a cell model to NeuroML2 files and back;
* :mod:`.lems_simulation` -- a protocol as a LEMS simulation file (``pulseGenerator``,
  ``rampGenerator``, ``sineGenerator``) and back;
* :mod:`.latex` -- the model's equations as a LaTeX document;
* ``hh-brian export`` (:mod:`hh_brian.cli.export_formats`) writes these and NMODL and Brian2 text.

The layer sits beside :mod:`hh_brian.models` (so that ``load_model("cell.nml")`` works): it reads
:mod:`hh_brian.models` and :mod:`hh_brian.core`, and the ``jneuroml`` engine reads it.
"""
