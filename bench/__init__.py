"""Benchmark helpers: a synthetic WXR export generator (:mod:`bench.generate`)."""
