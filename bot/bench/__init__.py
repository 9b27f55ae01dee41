"""Benchmarks that measure the gateway's decisions on labelled data."""
