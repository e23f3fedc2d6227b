"""Pipeline stages, one module each, in the order dvc.yaml runs them.

Each module has pure functions that take tables and params and return results, and a
``main`` that does the file I/O. Stages never import each other.
"""
