"""Differential geometry in sympy: exterior forms, Cartan's structure equations, Riemann tensors.

* :mod:`blogcode.diffgeo.forms`: k-forms as antisymmetric coefficient arrays; ``d``, ``wedge``,
  ``interior``.
* :mod:`blogcode.diffgeo.cartan`: curvature from an orthonormal coframe (Cartan's method).
* :mod:`blogcode.diffgeo.riemann`: curvature from the metric through Christoffel symbols (the
  independent coordinate route).
"""

from blogcode.diffgeo.cartan import CartanResult, curvature_forms, metric_from_frame
from blogcode.diffgeo.forms import Form, d, dx, from_array, interior, one_form, wedge, zero_form
from blogcode.diffgeo.riemann import christoffel, ricci, ricci_scalar, riemann_from_metric

__all__ = [
    "CartanResult",
    "Form",
    "christoffel",
    "curvature_forms",
    "d",
    "dx",
    "from_array",
    "interior",
    "metric_from_frame",
    "one_form",
    "ricci",
    "ricci_scalar",
    "riemann_from_metric",
    "wedge",
    "zero_form",
]
