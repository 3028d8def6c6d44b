import math

import numpy as np
import pytest

from synthio import quality
from synthio.backends import ClapSpec, load_clap

pytestmark = pytest.mark.filterwarnings("ignore")
RATE = 16000


@pytest.fixture(scope="module")
def clap():
    return load_clap(ClapSpec())


def white_noises(seed: int, count: int, seconds: float = 0.5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(0.3 * rng.standard_normal(int(seconds * RATE))).astype(np.float32) for _ in range(count)]


def memorisation(clap, synthetic: list[np.ndarray], real: list[np.ndarray]) -> list[dict]:
    """What ``synthio.listening`` does: fit to one length, embed with the CLAP and take log-mels, then ``nearest``."""
    length = quality.common_length([len(w) for w in synthetic + real], RATE)
    syn, ref = quality.fit_all(synthetic, length), quality.fit_all(real, length)
    cosines = quality.cosine_matrix(clap.embed_audio(list(syn), RATE).numpy(), clap.embed_audio(list(ref), RATE).numpy())
    return quality.nearest(cosines, quality.mel_correlation_matrix(quality.mel_features(syn), quality.mel_features(ref)))


def test_memorisation_flags_a_planted_duplicate_and_nothing_among_independent_white_noises(clap):
    real = white_noises(0, 6)
    independent = white_noises(1, 6, seconds=0.45)
    result = memorisation(clap, independent, real)
    assert [row["flagged"] for row in result] == [None] * 6
    assert all(row["by_cosine"]["cosine"] > quality.CLAP_COSINE_THRESHOLD for row in result)  # a CLAP alone calls all white noises alike
    assert all(row["by_mel"]["mel_correlation"] < 0.2 for row in result)

    rng = np.random.default_rng(2)
    copy = real[3].copy()
    near_copy = 0.5 * np.roll(real[4], 3 * quality.MEL_HOP) + 0.015 * rng.standard_normal(len(real[4])).astype(np.float32)  # half gain, shifted 48 ms, 20 dB SNR
    result = memorisation(clap, independent + [copy, near_copy], real)
    flagged = {k: row["flagged"]["index"] for k, row in enumerate(result) if row["flagged"] is not None}
    assert flagged == {6: 3, 7: 4}
    assert result[6]["flagged"]["mel_correlation"] == pytest.approx(1.0, abs=1e-5) and result[6]["flagged"]["cosine"] == pytest.approx(1.0, abs=1e-5)


def test_nearest_and_merge_on_a_hand_made_matrix():
    cosines = np.array([[0.95, 0.2], [0.5, 0.99]])
    correlations = np.array([[0.85, 0.9], [0.1, 0.7]])
    first, second = quality.nearest(cosines, correlations, offset=10)
    assert first == {
        "by_cosine": {"index": 10, "cosine": 0.95, "mel_correlation": 0.85},
        "by_mel": {"index": 11, "cosine": 0.2, "mel_correlation": 0.9},
        "flagged": {"index": 10, "cosine": 0.95, "mel_correlation": 0.85},
    }
    assert second["flagged"] is None and second["by_cosine"]["index"] == second["by_mel"]["index"] == 11
    other = quality.nearest(np.array([[0.1], [0.995]]), np.array([[0.2], [0.96]]), offset=0)
    merged = quality.merge_nearest([first, second], other)
    assert merged[0] == first
    assert merged[1]["by_cosine"]["index"] == merged[1]["by_mel"]["index"] == merged[1]["flagged"]["index"] == 0
    empty = quality.nearest(np.zeros((2, 0)), np.zeros((2, 0)))
    assert quality.merge_nearest(empty, [first, second]) == [first, second]


def test_mel_correlation_finds_a_shifted_copy_within_the_lag():
    wave = white_noises(3, 1, seconds=1.0)[0]
    shifted = np.roll(wave, 4 * quality.MEL_HOP)
    features = quality.mel_features(np.stack([wave, shifted]))
    assert features.shape == (2, RATE // quality.MEL_HOP + 1 - 2 * quality.MEL_EDGE_FRAMES, quality.MEL_BANDS)
    assert np.linalg.norm(features.reshape(2, -1), axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert quality.mel_correlation_matrix(features[:1], features[:1])[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert quality.mel_correlation_matrix(features[:1], features[1:])[0, 0] > 0.9
    assert quality.mel_correlation_matrix(features[:1], features[1:], max_lag=0)[0, 0] < 0.2


def test_common_length_and_fit_all():
    assert quality.common_length([8000, 16000, 48000], RATE) == 16000
    assert quality.common_length([100], RATE) == 4000 and quality.common_length([10**7], RATE) == 160000
    fitted = quality.fit_all([np.arange(3, dtype=np.float32), np.arange(7, dtype=np.float32)], 5)
    assert fitted.tolist() == [[0, 1, 2, 0, 1], [1, 2, 3, 4, 5]]


def test_cosine_and_correlation_matrices():
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    b = np.array([[2.0, 0.0], [1.0, 1.0]])
    assert quality.cosine_matrix(a, b) == pytest.approx(np.array([[1.0, 1 / math.sqrt(2)], [0.0, 0.0]]))


def test_vendi_of_identical_orthogonal_and_two_vectors():
    assert quality.vendi_score(np.tile([[0.3, -1.0, 2.0]], (7, 1))) == pytest.approx(1.0, abs=1e-9)
    assert quality.vendi_score(np.eye(5)) == pytest.approx(5.0, abs=1e-9)
    assert quality.vendi_score(3.0 * np.eye(4)[:3]) == pytest.approx(3.0, abs=1e-9)
    # two unit vectors at cosine 1/2: K/n has eigenvalues 3/4 and 1/4
    two = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    assert quality.vendi_score(two) == pytest.approx(math.exp(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25))), abs=1e-9)
    assert quality.diversity(np.zeros((0, 3))) == {"n": 0, "vendi": None}


def test_kad_by_hand():
    x, y = np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]])
    # pooled distances 1,1,2,0,1,1: median 1, so k(d) = exp(-d^2 / 2)
    assert quality.median_bandwidth(np.concatenate([x, y])) == 1.0
    # (k(0,1) + k(1,2)) within + ... : e^-1/2 + e^-1/2 - 2 (e^-1/2 + e^-2 + 1 + e^-1/2) / 4
    assert quality.kad(x, y) == pytest.approx(math.exp(-0.5) - (1 + math.exp(-2)) / 2, abs=1e-12)
    # a set against itself: the unbiased estimate leaves the diagonal out of the within-set terms only
    assert quality.kad(x, x) == pytest.approx(math.exp(-0.5) - 1, abs=1e-12)
    assert quality.kad(x, y, bandwidth=2.0) == pytest.approx(math.exp(-1 / 8) - (1 + math.exp(-0.5)) / 2, abs=1e-12)
    # coinciding points: no bandwidth, no distance
    assert quality.kad(np.zeros((3, 2)), np.zeros((2, 2))) == 0.0
    with pytest.raises(ValueError, match="at least two"):
        quality.kad(x[:1], y)


def test_kad_of_two_samples_of_one_distribution_is_near_zero():
    rng = np.random.default_rng(0)
    same = quality.kad(rng.standard_normal((400, 3)), rng.standard_normal((400, 3)))
    shifted = quality.kad(rng.standard_normal((400, 3)), rng.standard_normal((400, 3)) + 1.0)
    assert abs(same) < 0.005 and shifted > 0.1


def test_set_distances_need_two_clips_per_set():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((5, 3))
    assert quality.set_distances(real[:1], real) == {"n_synthetic": 1, "n_real": 5, "fd": None, "kad": None}
    same = quality.set_distances(real, real)
    assert same["fd"] == pytest.approx(0.0, abs=1e-6) and same["kad"] < 0
