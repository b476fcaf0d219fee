"""Benchmarks: `make bench` (python -m bench) runs them all; each module also runs on its own."""
