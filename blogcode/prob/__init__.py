"""Probability maps: softmax and its alternatives (:mod:`blogcode.prob.softmax_family`)."""
