import pytest

from pipeline import prompts
from pipeline.analysis.variants import (
    decode_variant,
    expand,
    original_index,
    parse_perturbations,
    rotate,
    shown_index,
)
from warehouse.records import Question

Q = Question(
    id="medqa_4options/7",
    task="medqa_4options",
    source_id="7",
    text="Which?",
    options=("alpha", "beta", "gamma", "delta"),
    golds=(0,),
)


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
    assert decode_variant("perm12").shift == 12 and decode_variant("cf_race").shift == 0
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
    yes_no = Question(
        id="pubmedqa/1", task="pubmedqa", source_id="1", text="?", options=("yes", "no", "maybe"), golds=(0,)
    )
    assert expand(yes_no, ["perm:2"]) == []  # options are not shown as letters: rotating changes nothing


def test_expand_bias_adds_applicable_counterfactuals(medqa_test):
    variants = expand(medqa_test[1], ["perm:1", "bias"])
    assert [name for name, _ in variants] == ["perm1", "cf_sex"]
    assert variants[1][1].text.startswith("A 67-year-old woman with transitional cell carcinoma")


def test_rotated_prompt_letters_show_the_rotated_options():
    """The prompt renders whatever order rotate gives: letter i shows original option (i + shift) mod 4."""
    for shift, shown in ((1, "beta gamma delta alpha"), (2, "gamma delta alpha beta"), (3, "delta alpha beta gamma")):
        prompt = prompts.build_request(rotate(Q, shift)).context
        expected = "".join(f"{letter}. {option}\n" for letter, option in zip("ABCD", shown.split()))
        assert prompt == f"Question: Which?\n{expected}Answer:"


def test_rotation_by_a_multiple_of_the_option_count_is_the_original():
    assert rotate(Q, 4) is Q and rotate(Q, -8) is Q
    assert rotate(Q, -3) == rotate(Q, 1) and rotate(Q, -3).meta["variant"] == "perm1"


def test_permutable_comes_from_the_task_not_its_name():
    headqa = Question(
        id="headqa_en/x-1", task="headqa_en", source_id="x-1", text="?", options=("p", "q", "r"), golds=(1,)
    )
    assert [name for name, _ in expand(headqa, ["perm:5"])] == ["perm1", "perm2"]  # text choices, still permuted
