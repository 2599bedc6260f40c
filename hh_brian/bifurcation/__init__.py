"""Bifurcation analysis of single-compartment models (no Brian2 simulation)."""
