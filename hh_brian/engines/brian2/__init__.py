"""engines/brian2."""
