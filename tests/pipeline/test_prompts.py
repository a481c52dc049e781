"""Prompts must equal lm-evaluation-harness 0.4.x's, character for character (texts copied from the vendored files)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from pipeline import benchmarks, prompts
from pipeline.analysis.variants import rotate
from warehouse.records import Question


def question(task: str, source_id: str) -> Question:
    return next(q for q in benchmarks.load_questions(task) if q.source_id == source_id)


LETTERS4 = (" A", " B", " C", " D")

# (task, source id, the full zero-shot prompt, the continuations scored)
EXPECTED = [
    (
        "medqa_4options",
        "267",
        "Question: A 34-year-old male suffers from inherited hemophilia A. He and his wife have three unaffected "
        "daughters. What is the probability that the second daughter is a carrier of the disease?\n"
        "A. 0%\nB. 25%\nC. 50%\nD. 100%\nAnswer:",
        LETTERS4,
    ),
    (
        "medmcqa",
        "b84028e6-34ae-44f6-9deb-10d9122d592f",
        "Question: Ig in GCF?\nChoices:\nA. Ig A\nB. Ig M\nC. Ig G\nD. Ig D\nAnswer:",
        LETTERS4,
    ),
    (
        "pubmedqa",
        "21214884",
        "Abstract: Using polymerase chain reaction techniques, we evaluated the presence of HPV infection in human "
        "breast milk collected from 21 HPV-positive and 11 HPV-negative mothers.\nOf the 32 studied human milk "
        "specimens, no 'high-risk' HPV 16, 18, 31, 33, 35, 39, 45, 51, 52, 56, 58 or 58 DNA was detected.\n"
        "Question: Can 'high-risk' human papillomaviruses (HPVs) be detected in human breast milk?\nAnswer:",
        (" yes", " no", " maybe"),
    ),
    (
        "mmlu_anatomy",
        "53",
        "The following are multiple choice questions (with answers) about anatomy.\n\n"
        "The anatomic location of the spinal canal is\nA. caudal\nB. dorsal\nC. frontal\nD. transverse\nAnswer:",
        LETTERS4,
    ),
    (
        "mmlu_clinical_knowledge",
        "182",
        "The following are multiple choice questions (with answers) about clinical knowledge.\n\n"
        "What is the pH of water?\nA. 3.5\nB. 7\nC. 12\nD. 6.25\nAnswer:",
        LETTERS4,
    ),
    (
        "mmlu_college_biology",
        "73",
        "The following are multiple choice questions (with answers) about college biology.\n\n"
        "Approximately what fraction of the human genome encodes proteins?\nA. 2%\nB. 25%\nC. 50%\nD. 90%\nAnswer:",
        LETTERS4,
    ),
    (
        "mmlu_college_medicine",
        "156",
        "The following are multiple choice questions (with answers) about college medicine.\n\n"
        "The coding sequences of genes are called:\nA. extrons.\nB. exons.\nC. introns.\nD. codons.\nAnswer:",
        LETTERS4,
    ),
    (
        "mmlu_medical_genetics",
        "73",
        "The following are multiple choice questions (with answers) about medical genetics.\n\n"
        "The normal human chromosome diploid number is:\nA. 23\nB. 24\nC. 46\nD. 48\nAnswer:",
        LETTERS4,
    ),
    (
        "mmlu_professional_medicine",
        "140",
        "The following are multiple choice questions (with answers) about professional medicine.\n\n"
        "A 13-month-old child is brought to the emergency department because of urticaria, swelling of the lips, "
        "and difficulty breathing immediately after eating an egg. A potential risk for hypersensitivity reaction "
        "is posed by vaccination against which of the following illnesses?\n"
        "A. Hepatitis\nB. Influenza\nC. Pertussis\nD. Poliomyelitis\nAnswer:",
        LETTERS4,
    ),
    (
        "frenchmedmcqa",
        "dfd0018862a4db04de282549948c46544fb6311e443483e1189f1a54d37d1de7",
        "Voici des questions à choix multiples (avec réponses) de pharmacie. "
        "Une ou plusieurs réponses peuvent être correctes.\n\n"
        "Question : Parmi les propositions suivantes, laquelle est exacte? L'iode 125, 125I, est un émetteur\u00a0:\n"
        "A. Alpha\nB. Gamma\nC. U.V.\nD. Béta plus\nE. I.R\nRéponse :",
        (" A", " B", " C", " D", " E"),
    ),
    (
        "headqa_es",
        "Cuaderno_2016_1_B-162",
        "Question: Es un gen de reparación del ADN:\nAnswer:",
        (" APC.", " ABL1.", " ATM.", " MYC."),
    ),
    (
        "headqa_en",
        "Cuaderno_2016_1_B-162",
        "Question: It is a DNA repair gene:\nAnswer:",
        (" APC.", " ABL1.", " ATM.", " MYC."),
    ),
]


@pytest.mark.parametrize("task,source_id,prompt,continuations", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_zero_shot_prompt_is_lm_eval_exact(task, source_id, prompt, continuations):
    q = question(task, source_id)
    request = prompts.build_request(q)
    assert request.prefix == ""
    assert request.context == prompt == request.prompt
    assert request.continuations == continuations
    assert request.question_id == q.id
    assert prompts.choice_strings(q) == tuple(c[1:] for c in continuations)


def test_every_task_has_an_expected_prompt():
    assert {e[0] for e in EXPECTED} == set(benchmarks.CHOICE_TASKS)  # kqa is asked in free text (generation)


def test_medqa_first_question_gold_is_b():
    q = question("medqa_4options", "0")  # PROVENANCE.md's example
    assert prompts.choice_strings(q)[q.gold] == "B"
    assert q.options[q.gold] == "Tell the attending that he cannot fail to disclose this mistake"
    assert prompts.build_request(q).context.endswith(
        "A. Disclose the error to the patient and put it in the operative report\n"
        "B. Tell the attending that he cannot fail to disclose this mistake\n"
        "C. Report the physician to the ethics committee\n"
        "D. Refuse to dictate the operative report\nAnswer:"
    )


MMLU_ANATOMY_5SHOT_PREFIX = (
    "The following are multiple choice questions (with answers) about anatomy.\n\n"
    "What is the embryological origin of the hyoid bone?\nA. The first pharyngeal arch\n"
    "B. The first and second pharyngeal arches\nC. The second pharyngeal arch\n"
    "D. The second and third pharyngeal arches\nAnswer: D\n\n"
    "Which of these branches of the trigeminal nerve contain somatic motor processes?\n"
    "A. The supraorbital nerve\nB. The infraorbital nerve\nC. The mental nerve\nD. None of the above\nAnswer: D\n\n"
    "The pleura\nA. have no sensory innervation.\nB. are separated by a 2 mm space.\nC. extend into the neck.\n"
    "D. are composed of respiratory epithelium.\nAnswer: C\n\n"
    "In Angle's Class II Div 2 occlusion there is\nA. excess overbite of the upper lateral incisors.\n"
    "B. negative overjet of the upper central incisors.\nC. excess overjet of the upper lateral incisors.\n"
    "D. excess overjet of the upper central incisors.\nAnswer: C\n\n"
    "Which of the following is the body cavity that contains the pituitary gland?\nA. Abdominal\nB. Cranial\n"
    "C. Pleural\nD. Spinal\nAnswer: B\n\n"
)


def test_mmlu_five_shot_prefix_is_lm_eval_exact():
    q = question("mmlu_anatomy", "53")
    request = prompts.build_request(q, benchmarks.fewshot_pool("mmlu_anatomy")[:5])
    assert request.prefix == MMLU_ANATOMY_5SHOT_PREFIX
    assert request.context == (
        "The anatomic location of the spinal canal is\nA. caudal\nB. dorsal\nC. frontal\nD. transverse\nAnswer:"
    )
    assert request.prompt == MMLU_ANATOMY_5SHOT_PREFIX + request.context
    assert request.continuations == LETTERS4


def test_shared_prefix_is_the_same_for_every_question_of_a_task():
    shots = benchmarks.fewshot_pool("mmlu_medical_genetics")[:3]
    prefixes = {prompts.build_request(q, shots).prefix for q in benchmarks.load_questions("mmlu_medical_genetics")}
    assert len(prefixes) == 1


def test_frenchmedmcqa_shot_shows_every_correct_letter():
    pool = benchmarks.fewshot_pool("frenchmedmcqa")
    multi = next(q for q in pool if len(q.golds) == 3)
    target = prompts.target(multi)
    assert target == ", ".join("ABCDE"[g] for g in multi.golds) and len(target) == 7
    request = prompts.build_request(
        question("frenchmedmcqa", "dfd0018862a4db04de282549948c46544fb6311e443483e1189f1a54d37d1de7"), [multi]
    )
    assert f"\nRéponse : {target}\n\n" in request.prefix
    assert request.prefix.startswith("Voici des questions à choix multiples (avec réponses) de pharmacie.")
    assert request.context.startswith("Question : Parmi les propositions suivantes, laquelle est exacte?")


def test_fewshot_targets_of_text_choice_tasks_are_the_texts():
    q = question("pubmedqa", "21214884")
    assert prompts.target(q) == "no"
    h = question("headqa_en", "Cuaderno_2016_1_B-162")
    assert prompts.target(h) == "ATM."


def test_shots_must_be_other_questions_of_the_same_task():
    q = question("mmlu_anatomy", "53")
    with pytest.raises(ValueError, match="the question itself"):
        prompts.build_request(q, [q])
    with pytest.raises(ValueError, match="from task mmlu_college_biology"):
        prompts.build_request(q, benchmarks.fewshot_pool("mmlu_college_biology")[:1])


def test_template_hash_is_pinned_and_depends_on_task_and_shots():
    # Pinned: a change here means the prompts changed; bump PROMPT_VERSION and update these together.
    assert prompts.PROMPT_VERSION == "lm-eval-0.4/v1"
    assert prompts.template_hash("medqa_4options") == "bfea3cd46dff3c1d"
    assert prompts.template_hash("mmlu_anatomy", 5) == "aca18be2b93797d9"
    assert prompts.template_hash("headqa_es") == "cb59d6f888b1b084"
    hashes = {prompts.template_hash(task, shots) for task in benchmarks.CHOICE_TASKS for shots in (0, 5)}
    assert len(hashes) == 2 * len(benchmarks.CHOICE_TASKS)
    assert prompts.template_hash("pubmedqa", 3) != prompts.template_hash("pubmedqa", 5)


def test_rotate_rotates_options_and_remaps_golds():
    q = question("medqa_4options", "0")  # gold B
    p1 = rotate(q, 1)
    assert p1.id == q.id and p1.options == q.options[1:] + q.options[:1]
    assert p1.golds == (0,) and p1.options[p1.gold] == q.options[q.gold]
    assert "\nA. Tell the attending that he cannot fail to disclose this mistake\n" in prompts.build_request(p1).context
    assert rotate(q, 4) == q and rotate(q, -3) == p1
    p3 = rotate(q, 3)  # shown option i is original (i + 3) mod 4
    assert p3.options == (q.options[3], q.options[0], q.options[1], q.options[2]) and p3.golds == (2,)
    assert p3.content_hash != q.content_hash


def test_rotate_multi_answer_and_text_choices():
    q = question("frenchmedmcqa", "c2dc3f530e04c26e52fb50f570f73bf6cdc804ff7b65a12d215049c82f13a90a")  # b, c, d
    p = rotate(q, 2)
    assert p.golds == (0, 1, 4)
    assert {p.options[g] for g in p.golds} == {q.options[g] for g in q.golds}
    pub = question("pubmedqa", "21214884")  # "no"
    rotated = rotate(pub, 1)
    request = prompts.build_request(rotated)
    assert request.context == prompts.build_request(pub).context  # the abstract prompt shows no options
    assert request.continuations == (" no", " maybe", " yes") and rotated.golds == (0,)


def test_doc_to_text_uses_stripped_question_for_mmlu_only():
    q = dataclasses.replace(question("mmlu_anatomy", "53"), text="  spaced  ")
    assert prompts.doc_to_text(q).startswith("spaced\nA. caudal")
    m = dataclasses.replace(question("medmcqa", "b84028e6-34ae-44f6-9deb-10d9122d592f"), text=" Ig in GCF? ")
    assert prompts.doc_to_text(m).startswith("Question:  Ig in GCF? \nChoices:")


# ---------------------------------------------------------------- against lm-eval's own requests

LM_EVAL_OUTPUT = Path(__file__).resolve().parents[1] / "fixtures" / "lm_eval"


def doc_content(task: str, doc: dict) -> tuple:
    """(text, options) of an lm-eval doc, in the hub schema each task reads."""
    if task == "medqa_4options":
        return doc["sent1"], tuple(doc[f"ending{i}"] for i in range(4))
    if task == "medmcqa":
        return doc["question"], (doc["opa"], doc["opb"], doc["opc"], doc["opd"])
    if task == "pubmedqa":
        return doc["QUESTION"], ("yes", "no", "maybe")
    return doc["question"], tuple(doc["choices"])


def test_prompts_equal_the_requests_lm_eval_logged():
    """lm-eval 0.4.13 --log_samples (tests/fixtures/lm_eval, made by the lead's script): every request it sent."""
    files = sorted(LM_EVAL_OUTPUT.rglob("samples_*.jsonl"))
    assert files, f"the lm-eval fixture is missing under {LM_EVAL_OUTPUT}: restore it from git (tests/fixtures/lm_eval)"
    checked = 0
    for path in files:
        task = re.match(r"samples_(.+)_\d{4}-\d\d-\d\dT", path.name).group(1)
        by_content = {(q.text, q.options): q for q in benchmarks.load_questions(task)}
        for line in path.read_text(encoding="utf-8").splitlines():
            sample = json.loads(line)
            request = prompts.build_request(by_content[doc_content(task, sample["doc"])])
            logged = [(arg["arg_0"], arg["arg_1"]) for arg in sample["arguments"].values()]
            assert logged == [(request.prompt, c) for c in request.continuations], (task, sample["doc_id"])
            checked += 1
    assert checked == 36
