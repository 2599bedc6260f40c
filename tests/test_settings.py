"""Brian2's global settings are set for one run only: preferences, device and seed come back."""

import numpy as np
import pytest
from brian2 import get_device, ms, prefs, uA
from brian2.units import cm

from hh_brian.analysis.fi_curve import fi_curve
from hh_brian.engines.brian2.settings import brian2_settings, preference_values
from hh_brian.models.presets import get_preset


def _random_state():
    return np.random.get_state()[1].copy()  # noqa: NPY002


def test_settings_are_restored_after_the_block():
    before, device, state = preference_values(), get_device(), _random_state()
    with brian2_settings(
        target="numpy",
        seed=7,
        preferences={"codegen.cpp.extra_compile_args_gcc": ["-O1"]},
        devices__cpp_standalone__openmp_threads=3,
    ):
        assert prefs["codegen.target"] == "numpy"
        assert prefs["codegen.cpp.extra_compile_args_gcc"] == ["-O1"]
        assert prefs["devices.cpp_standalone.openmp_threads"] == 3
    assert preference_values() == before
    assert get_device() is device
    assert np.array_equal(_random_state(), state)


def test_settings_are_restored_when_the_block_raises():
    before = preference_values()
    with pytest.raises(RuntimeError), brian2_settings(target="numpy", seed=1):
        raise RuntimeError("boom")
    assert preference_values() == before


def test_a_device_is_set_and_reset():
    device, state = get_device(), _random_state()
    with brian2_settings(device="cpp_standalone", device_options={"build_on_run": False}, seed=3):
        assert get_device() is not device
    assert get_device() is device
    assert np.array_equal(_random_state(), state)


def test_an_fi_run_leaves_brian2_prefs_as_it_found_them():
    previous = prefs["codegen.target"]
    prefs["codegen.target"] = "numpy"  # a value fi_curve's own target ("cython") differs from
    try:
        before = preference_values()
        fi_curve(
            get_preset("dayan_abbott"),
            np.array([6.0, 10.0]) * uA / cm**2,
            duration=200 * ms,
            ramp=20 * ms,
            prime=20 * ms,
        )
        assert preference_values() == before
    finally:
        prefs["codegen.target"] = previous
