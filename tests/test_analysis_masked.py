"""Nullable columns read as numpy arrays: the same values as pandas' generic conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recovery_toolkit.analysis.masked import as_float, values_and_mask, yes, yes_no_codes

RNG = np.random.default_rng(3)
ANSWERS = pd.array(RNG.choice([True, False, None], size=500), dtype="boolean")
SCORES = pd.array(RNG.choice([0, 3, 10, None], size=500), dtype="Int8")


@pytest.mark.parametrize("answers", [ANSWERS, ANSWERS.astype(object), ANSWERS[::-1]])
def test_yes_no_codes_match_the_generic_conversion(answers):
    column = pd.Series(answers)
    expected = column.astype("boolean").to_numpy(dtype=np.int8, na_value=-1)
    assert yes_no_codes(column).tolist() == expected.tolist()
    assert yes(column).tolist() == column.fillna(False).astype(bool).tolist()


def test_a_missing_answer_is_missing_whatever_value_is_stored_under_it():
    answers = pd.arrays.BooleanArray(np.array([True, True]), np.array([False, True]))
    assert yes_no_codes(pd.Series(answers)).tolist() == [1, -1]
    assert yes(pd.Series(answers)).tolist() == [True, False]


@pytest.mark.parametrize("scores", [SCORES, SCORES.astype("Float64"), SCORES.astype(float)])
def test_as_float_matches_the_generic_conversion(scores):
    column = pd.Series(scores)
    np.testing.assert_array_equal(as_float(column), column.to_numpy(dtype=float, na_value=np.nan))


def test_the_column_is_read_not_copied_or_changed():
    column = pd.Series(SCORES)
    before = column.copy()
    data, mask = values_and_mask(column)
    assert mask.sum() == column.isna().sum() and data.dtype == np.int8
    as_float(column)
    pd.testing.assert_series_equal(column, before)
