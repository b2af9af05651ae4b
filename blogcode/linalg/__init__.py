"""Linear algebra the math posts compute: rank-one exponentials, the derivative of a determinant,
determinants of non-square matrices, and the simplification of quadrics.  One submodule per post
(``rank1_exp``, ``det_derivative``, ``nonsquare_det``, ``quadric``)."""
