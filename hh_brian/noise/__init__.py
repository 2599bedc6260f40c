"""Channel noise: finite numbers of stochastic channels in a membrane patch.

* :mod:`~hh_brian.noise.counts` -- channel counts from area, density and gamma;
* :mod:`~hh_brian.noise.scheme` -- the kinetic scheme of channel states and its exact
  statistics at a fixed voltage;
* :mod:`~hh_brian.noise.markov_clamp` -- exact (Gillespie) sampling at a clamped voltage;
* :mod:`~hh_brian.noise.binomial`, :mod:`~hh_brian.noise.markov` -- Markov noise in
  current clamp in the NumPy engine;
* :mod:`~hh_brian.noise.langevin`, :mod:`~hh_brian.noise.brian2_run`,
  :mod:`~hh_brian.noise.brian2_clamp` -- Langevin and subunit noise in Brian2 (current
  clamp; clamped voltages for validation);
* :mod:`~hh_brian.noise.run` -- one entry point and the engine-like runner of the CLI;
* :mod:`~hh_brian.noise.spec` -- model names, seeds and schemes;
* :mod:`~hh_brian.noise.sweep` -- firing rate, ISI CV and spike-time jitter against area.
"""
