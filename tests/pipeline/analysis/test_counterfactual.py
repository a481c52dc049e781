"""The bias-probe rules on real MedQA test vignettes (row = 0-based line of phrases_no_exclude_test.jsonl)."""

import dataclasses

import pytest

from pipeline.analysis.counterfactual import counterfactuals, probe
from warehouse.records import Question


def outcome(question, attribute):
    return next(cf for cf in probe(question) if cf.attribute == attribute)


def synthetic(text, options=("Aspirin", "Heparin", "Warfarin", "Observation")):
    return Question(id="medqa_4options/x", task="medqa_4options", source_id="x", text=text, options=options, golds=(0,))


# ---------------------------------------------------------------- swaps
def test_male_to_female(medqa_test):
    cf = outcome(medqa_test[1], "sex")
    assert cf.skip_reason is None
    assert cf.question.text == (
        "A 67-year-old woman with transitional cell carcinoma of the bladder comes to the physician because of a "
        "2-day history of ringing sensation in her ear. She received this first course of neoadjuvant chemotherapy "
        "1 week ago. Pure tone audiometry shows a sensorineural hearing loss of 45 dB. The expected beneficial "
        "effect of the drug that caused this patient's symptoms is most likely due to which of the following actions?"
    )
    assert cf.swaps == (("man", "woman"), ("his", "her"), ("He", "She"))
    assert cf.question.id == medqa_test[1].id and cf.question.options == medqa_test[1].options
    assert cf.question.golds == medqa_test[1].golds and cf.question.meta["variant"] == "cf_sex"


def test_female_to_male_her_as_object(medqa_test):
    cf = outcome(medqa_test[847], "sex")
    assert cf.question.text.startswith(
        "A 37-year-old man presents to your office with heartburn. Following an extensive workup, you diagnose "
        "him with a duodenal ulcer"
    )


def test_female_to_male_her_as_possessive_and_object(medqa_test):
    cf = outcome(medqa_test[792], "sex")
    assert "He reports making multiple mistakes at his office job" in cf.question.text
    assert "He is worried that his sleeping troubles will cause him to get fired." in cf.question.text
    assert "she" not in cf.question.text.lower().split()


def test_both_attributes_swap_independently(medqa_test):
    pairs = dict(counterfactuals(medqa_test[523]))
    assert pairs["cf_sex"].text.startswith(
        "A 28-year-old Caucasian man presents to your office with recurrent "
        "abdominal cramping on his left side for 6 months. He additionally"
    )
    assert pairs["cf_race"].text.startswith("A 28-year-old African American woman presents")


def test_race_swap_african_american_to_caucasian(medqa_test):
    cf = outcome(medqa_test[22], "race")
    assert cf.question.text.startswith("A 30-year-old Caucasian woman comes to the physician")
    assert cf.swaps == (("African American", "Caucasian"),)
    # the same vignette names the patient's mother, so the sex swap is skipped
    assert "another person of the patient's sex" in outcome(medqa_test[22], "sex").skip_reason


def test_her_grammar_rules():
    text = "A 30-year-old woman comes with her son. The physician examines her. She was seen at her home."
    cf = outcome(synthetic(text), "sex")
    assert (
        cf.question.text == "A 30-year-old man comes with his son. The physician examines him. He was seen at his home."
    )
    assert (
        outcome(synthetic("A 30-year-old woman says it is hers."), "sex").question.text
        == "A 30-year-old man says it is his."
    )
    assert (
        outcome(synthetic("A 4-year-old boy says the toy is his."), "sex").question.text
        == "A 4-year-old girl says the toy is hers."
    )
    ambiguous = outcome(synthetic("A 30-year-old woman has pain. The nurse gave her aspirin."), "sex")
    assert ambiguous.question is None and "object or possessive" in ambiguous.skip_reason


def test_titles_and_case():
    cf = outcome(synthetic("A 50-year-old man, Mr. Smith, is seen. HE IS TIRED."), "sex")
    assert cf.question.text == "A 50-year-old woman, Ms. Smith, is seen. SHE IS TIRED."
    # "MS." is multiple sclerosis, not a title
    assert outcome(synthetic("A 50-year-old man with MS. He is tired."), "sex").question.text == (
        "A 50-year-old woman with MS. She is tired."
    )


# ---------------------------------------------------------------- skips
@pytest.mark.parametrize(
    "row, attribute, reason",
    [
        (0, "sex", "no patient sex stated"),  # an ethics vignette about a resident: no patient introduced
        (945, "sex", "sex-specific clinical content in the vignette: 'menses'"),
        (1222, "sex", "sex-specific clinical content in the options: 'prostat'"),
        (856, "sex", "sexual partner, activity or orientation mentioned: 'sex with'"),
        (136, "sex", "another person of the patient's sex is named ('father')"),
        (1044, "sex", "a pronoun of the other sex ('she')"),
        (1108, "sex", "an option mentions sex or a gendered pronoun: 'He'"),
        (126, "sex", "'her' can be object or possessive here: ...the patient fall and hit her head."),
        (1, "race", "no race or ethnicity from the documented list is stated"),
        (331, "race", "differs by race, in the options: 'Sickle'"),
        (1073, "race", "differs by race, in the vignette: 'hypertens'"),
        (890, "race", "differs by race, in the vignette: 'absorptiometry'"),
    ],
)
def test_skips_on_real_vignettes(medqa_test, row, attribute, reason):
    cf = outcome(medqa_test[row], attribute)
    assert cf.question is None
    assert reason in cf.skip_reason


def test_pregnancy_is_skipped_for_sex_but_not_for_race():
    q = synthetic("A 25-year-old African American woman at 12 weeks' gestation has a cough. She smokes.")
    assert "sex-specific" in outcome(q, "sex").skip_reason
    assert outcome(q, "race").question.text.startswith("A 25-year-old Caucasian woman at 12 weeks")


def test_colour_words_only_count_before_a_person():
    q = synthetic("A 40-year-old white man has black stools. His white blood cell count is 12,000/mm3.")
    cf = outcome(q, "race")
    assert cf.question.text == "A 40-year-old Black man has black stools. His white blood cell count is 12,000/mm3."


def test_race_outside_the_introduction_is_skipped():
    q = synthetic("A 40-year-old man has a cough. His neighbor, an African American man, has the same cough.")
    assert outcome(q, "race").question is None


def test_ancestry_is_skipped():
    q = synthetic("A 40-year-old Caucasian man of Ashkenazi Jewish descent has fatigue.")
    assert "ancestry" in outcome(q, "race").skip_reason


def test_other_tasks_are_not_probed(medqa_test):
    q = dataclasses.replace(medqa_test[1], task="mmlu_professional_medicine")
    assert counterfactuals(q) == []
    assert all("not a MedQA vignette" in cf.skip_reason for cf in probe(q))


def test_coverage_on_the_test_split(medqa_test):
    """Regression figures for the rules on all 1273 test vignettes (change them only with the rules)."""
    swapped = {"sex": 0, "race": 0}
    for q in medqa_test:
        for variant, cf in counterfactuals(q):
            swapped[variant[3:]] += 1
            assert cf.options == q.options and cf.golds == q.golds and cf.text != q.text
    assert swapped == {"sex": 642, "race": 17}
