"""State space models: HiPPO matrices, discretisation, S4, selective scans.

Import the submodule you need, e.g. ``from blogcode.ssm.hippo import legs, legt``.
Submodules are not imported eagerly, so importing ``blogcode.ssm`` is cheap and
pulls in neither torch nor sympy.
"""
