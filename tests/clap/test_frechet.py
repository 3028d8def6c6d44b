import numpy as np
import pytest

from synthio.clap.frechet import frechet_distance


def test_exact_values():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + np.array([3.0, 0, 0, 4.0])) == pytest.approx(25.0, abs=1e-6)
    # same mean, covariance scaled by 4: Tr(S + 4S - 2*2S) = Tr(S)
    assert frechet_distance(a, 2 * (a - a.mean(0)) + a.mean(0)) == pytest.approx(np.trace(np.cov(a, rowvar=False)), rel=1e-6)


def test_shape_errors():
    with pytest.raises(ValueError, match="one d"):
        frechet_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at least two"):
        frechet_distance(np.zeros((1, 2)), np.zeros((3, 2)))
