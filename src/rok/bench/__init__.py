"""Benchmarks: commands that print tables of time and memory, side by side with peers."""
