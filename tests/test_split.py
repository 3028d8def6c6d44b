import numpy as np
import pytest

from synthio.split import few_shot_split, per_class_counts, stratified_sample


def test_paper_rule_exact_counts():
    labels = ["a"] * 60 + ["b"] * 30 + ["c"] * 10 + ["d"] * 1
    assert per_class_counts(labels, 50) == {"a": 29, "b": 14, "c": 4, "d": 1}


def test_urbansound_fold3_like_pool_gives_45_for_50():
    counts = {"air_conditioner": 50, "car_horn": 16, "children_playing": 44, "dog_bark": 45, "drilling": 44,
              "engine_idling": 44, "gun_shot": 15, "jackhammer": 45, "siren": 40, "street_music": 44}
    labels = [k for k, v in counts.items() for _ in range(v)]
    assert sum(per_class_counts(labels, 50).values()) == sum(max(1, int(v * 50 / len(labels))) for v in counts.values())


def test_split_is_seeded_disjoint_and_stratified():
    labels = ["a"] * 40 + ["b"] * 20
    s1, s2, s3 = few_shot_split(labels, 30, 0), few_shot_split(labels, 30, 0), few_shot_split(labels, 30, 1)
    assert s1 == s2 and s1 != s3
    assert not set(s1.train) & set(s1.val)
    assert sorted(labels[i] for i in s1.train).count("a") == 20
    assert len(s1.val) == 30


def test_groups_keep_validation_away_from_train_recordings():
    labels = ["a"] * 20 + ["b"] * 20
    groups = [str(i // 4) for i in range(40)]
    split = few_shot_split(labels, 10, 0, groups=groups)
    assert not {groups[i] for i in split.train} & {groups[i] for i in split.val}
    assert split.val


def test_errors():
    with pytest.raises(ValueError):
        few_shot_split(["a"] * 3, 4, 0)
    with pytest.raises(ValueError):
        per_class_counts(["a"], 0)
    assert stratified_sample(["a", "b"], 1, np.random.default_rng(0)) == [0, 1]


def test_few_shot_selection_loads_the_split_that_evaluate_draws(folder, tmp_path):
    from synthio.dataset import load_selection
    from synthio.split import FewShotSelection

    clips = FewShotSelection(data_dir=folder, out=tmp_path, where=["split=train"], n=6, seed=1).load(16000)
    pool, _ = load_selection(folder, {"split": {"train"}}, 16000)
    assert [c.file_name for c in clips] == [pool[i].file_name for i in few_shot_split([c.label for c in pool], 6, 1).train]
