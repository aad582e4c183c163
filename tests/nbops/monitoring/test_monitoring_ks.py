"""The KS statistic equals scipy's; the p-value is scipy's asymptotic one."""

import numpy as np
import pytest
from scipy import stats

from nbops.monitoring._ks import ks_pvalue, ks_statistic


@pytest.mark.parametrize("discrete", [False, True])
def test_statistic_matches_scipy_including_ties(discrete: bool) -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        m, n = rng.integers(1, 80, size=2)
        if discrete:
            a, b = rng.integers(0, 6, m).astype(float), rng.integers(0, 7, n).astype(float)
        else:
            a, b = rng.normal(size=m), rng.normal(rng.normal(), size=n)
        expected = stats.ks_2samp(a, b, method="asymp").statistic
        assert ks_statistic(np.sort(a), np.sort(b)) == pytest.approx(expected, abs=1e-12)


def test_pvalue_matches_scipy_asymptotic() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=400), rng.normal(0.2, size=300)
    result = stats.ks_2samp(a, b, method="asymp")
    d = ks_statistic(np.sort(a), np.sort(b))
    assert ks_pvalue(d, 400, 300) == pytest.approx(result.pvalue, rel=1e-9)


def test_large_samples_use_the_limit_distribution_consistently() -> None:
    # Above LARGE_N the limiting distribution is used; it agrees with kstwo there.
    for d in (0.001, 0.002, 0.004):
        exact = stats.kstwo.sf(d, 500_000)
        assert ks_pvalue(d, 1_000_000, 1_000_000) == pytest.approx(exact, rel=0.01)


def test_empty_sample_is_no_evidence() -> None:
    assert ks_statistic(np.array([]), np.array([1.0])) == 0.0
    assert ks_pvalue(0.5, 0, 10) == 1.0
