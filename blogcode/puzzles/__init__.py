"""Number puzzles solved with exact integer arithmetic (:mod:`blogcode.puzzles.digits`)."""

from blogcode.puzzles.digits import (
    brute_force_extremes,
    carry_count,
    carry_identity_check,
    count_solutions,
    digit_count_formulas,
    digit_sum,
    extreme_numbers,
    int_log10,
    product_digit_count,
)

__all__ = [
    "brute_force_extremes",
    "carry_count",
    "carry_identity_check",
    "count_solutions",
    "digit_count_formulas",
    "digit_sum",
    "extreme_numbers",
    "int_log10",
    "product_digit_count",
]
