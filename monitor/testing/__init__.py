"""Test doubles that run for real on 127.0.0.1: a local web site, an imitation JS-challenge site, a mail sink.

Used by the tests, the benchmarks and the offline demo; never by the daemon's own path.
"""
