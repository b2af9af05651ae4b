"""Geometry and rotations: quaternions, complex-number rotations, rigid-body transforms.

Each submodule is imported on its own (``from blogcode.geometry.quaternion import hamilton``);
this package imports none of them.
"""
