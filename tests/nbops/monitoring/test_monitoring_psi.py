"""PSI on reference-quantile bins, and its sample-size aware null distribution."""

import numpy as np
import pytest

from nbops.monitoring._psi import bin_counts, psi, psi_noise, psi_pvalue, quantile_edges, used_bins


def test_quantile_edges_split_the_reference_evenly() -> None:
    values = np.sort(np.random.default_rng(0).normal(size=10_000))
    edges = quantile_edges(values, 10)
    counts = bin_counts(values, edges)
    assert edges.size == 9
    assert counts.sum() == values.size
    assert np.all(np.abs(counts - 1_000) <= 1)


def test_discrete_values_merge_duplicate_edges() -> None:
    values = np.sort(np.repeat([0.0, 1.0, 2.0], [700, 200, 100]))
    edges = quantile_edges(values, 10)
    assert edges.tolist() == [0.0, 1.0, 2.0]
    assert bin_counts(values, edges).tolist() == [0, 700, 200, 100]


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift() -> None:
    counts = np.array([100, 200, 300])
    assert psi(counts, counts * 7) == pytest.approx(0.0, abs=1e-5)
    small = psi(np.array([500, 500]), np.array([450, 550]))
    large = psi(np.array([500, 500]), np.array([300, 700]))
    assert 0 < small < large
    # (0.55 - 0.5) ln(0.55 / 0.5) + (0.45 - 0.5) ln(0.45 / 0.5), up to smoothing
    assert small == pytest.approx(0.05 * np.log(1.1) + 0.05 * np.log(0.5 / 0.45), rel=1e-2)


def test_empty_sample_has_no_psi() -> None:
    assert psi(np.array([0, 0]), np.array([1, 2])) == 0.0
    assert psi_pvalue(0.3, 0, 100, 5) == 1.0


def test_pvalue_is_calibrated_under_no_drift() -> None:
    # Two samples of one distribution: p < 0.05 about 5 % of the time, at any size
    # (over draws of both samples: the reference's own bin edges carry noise too).
    rng = np.random.default_rng(11)
    for n_ref, n_cur in ((20_000, 1_000), (5_000, 5_000)):
        pvalues = []
        for _ in range(400):
            reference = np.sort(rng.normal(size=n_ref))
            edges = quantile_edges(reference, 10)
            ref_counts = bin_counts(reference, edges)
            cur_counts = bin_counts(rng.normal(size=n_cur), edges)
            value = psi(ref_counts, cur_counts)
            pvalues.append(psi_pvalue(value, n_ref, n_cur, used_bins(ref_counts, cur_counts)))
        rate = np.mean(np.array(pvalues) < 0.05)
        assert 0.02 <= rate <= 0.09, (n_ref, n_cur, rate)


def test_noise_shrinks_with_sample_size() -> None:
    assert psi_noise(20_000, 1_000, 10) > psi_noise(20_000, 100_000, 10) > 0
    assert psi_noise(20_000, 1_000, 10) == pytest.approx(9 * (1 / 20_000 + 1 / 1_000))
