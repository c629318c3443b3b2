"""Benchmarks, outside the product package: `python -m bot bench` (bench.py) and
`python -m bot bench --scale` (scale.py), with the Chroma server starter they and the
server-mode tests use (chroma_server.py).
"""
