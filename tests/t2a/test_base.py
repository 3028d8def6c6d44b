import pytest

from synthio.t2a.base import check_sample_args, expand_per_prompt, group_by_duration


def test_expand_is_prompt_major_with_distinct_seeds():
    prompts, seconds, seeds = expand_per_prompt(["a", "b"], [1.0, 2.0], [5, 9], 3)
    assert prompts == ["a", "a", "a", "b", "b", "b"]
    assert seconds == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    assert seeds == [15, 16, 17, 27, 28, 29]


def test_group_by_duration_keeps_first_seen_order():
    assert list(group_by_duration([2.0, 1.0, 2.0, 3.0])) == [(2.0, [0, 2]), (1.0, [1]), (3.0, [3])]


def test_check_sample_args():
    check_sample_args(["a"], [1.0], [0], 4.0)
    with pytest.raises(ValueError, match="one duration and one seed"):
        check_sample_args(["a", "b"], [1.0], [0, 1], 4.0)
    with pytest.raises(ValueError, match="outside"):
        check_sample_args(["a"], [5.0], [0], 4.0)
    with pytest.raises(ValueError, match="empty prompt"):
        check_sample_args([" "], [1.0], [0], 4.0)
