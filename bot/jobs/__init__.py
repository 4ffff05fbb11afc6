"""Scheduled work: the worker's scheduler, its lease, and the jobs it runs."""
