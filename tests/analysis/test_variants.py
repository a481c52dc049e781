import pytest

from pipeline.analysis.variants import (
    decode_variant, expand, original_index, parse_perturbations, rotate, shift_of, shown_index,
)
from warehouse.records import Question

Q = Question(id="medqa_4options/7", task="medqa_4options", source_id="7", text="Which?",
             options=("alpha", "beta", "gamma", "delta"), golds=(0,))


def test_rotation_moves_options_and_gold_together():
    q1 = rotate(Q, 1)
    assert q1.options == ("beta", "gamma", "delta", "alpha")
    assert q1.golds == (3,)  # alpha is now shown as D
    q3 = rotate(Q, 3)
    assert q3.options == ("delta", "alpha", "beta", "gamma")
    assert q3.golds == (1,)
    assert q3.id == Q.id and q3.meta["variant"] == "perm3"


def test_original_and_shown_index_are_inverse():
    for shift in range(5):
        for i in range(4):
            assert shown_index(original_index(i, shift, 4), shift, 4) == i
    assert original_index(0, 1, 4) == 1  # A in perm1 shows the original B
    assert original_index(3, 3, 4) == 2


def test_multi_gold_rotation_keeps_every_gold():
    q = Question(id="f/1", task="frenchmedmcqa", source_id="1", text="?", options=tuple("abcde"), golds=(0, 2))
    rotated = rotate(q, 2)
    assert rotated.options == ("c", "d", "e", "a", "b")
    assert rotated.golds == (0, 3)
    assert {rotated.options[g] for g in rotated.golds} == {"a", "c"}


def test_decode_variant():
    assert decode_variant("").kind == "original"
    assert decode_variant("perm3").shift == 3 and decode_variant("perm3").kind == "perm"
    assert decode_variant("cf_sex").attribute == "sex"
    assert shift_of("perm12") == 12 and shift_of("cf_race") == 0
    for bad in ("perm0", "perm", "permx", "cf_", "shuffled"):
        with pytest.raises(ValueError, match="unknown prediction variant"):
            decode_variant(bad)


def test_parse_perturbations():
    assert parse_perturbations(["perm:3", "bias"]) == (3, True)
    assert parse_perturbations([]) == (0, False)
    with pytest.raises(ValueError, match="perm:N"):
        parse_perturbations(["perm3"])


def test_expand_permutations_capped_at_distinct_rotations():
    names = [name for name, _ in expand(Q, ["perm:3"])]
    assert names == ["perm1", "perm2", "perm3"]
    assert [name for name, _ in expand(Q, ["perm:9"])] == ["perm1", "perm2", "perm3"]  # 4 options: 3 rotations
    assert expand(Q, []) == []
    yes_no = Question(id="pubmedqa/1", task="pubmedqa", source_id="1", text="?", options=("yes", "no", "maybe"), golds=(0,))
    assert expand(yes_no, ["perm:2"]) == []  # options are not shown as letters: rotating changes nothing


def test_expand_bias_adds_applicable_counterfactuals(medqa_test):
    variants = expand(medqa_test[1], ["perm:1", "bias"])
    assert [name for name, _ in variants] == ["perm1", "cf_sex"]
    assert variants[1][1].text.startswith("A 67-year-old woman with transitional cell carcinoma")


def test_agrees_with_prompts_permuted_when_present():
    prompts = pytest.importorskip("pipeline.prompts")
    if not hasattr(prompts, "permuted"):
        pytest.skip("pipeline.prompts.permuted not written yet")
    for shift in (1, 2, 3):
        other = prompts.permuted(Q, shift)
        assert other.options == rotate(Q, shift).options and other.golds == rotate(Q, shift).golds
