"""Bias probe: counterfactual MedQA vignettes with the patient's sex or race/ethnicity swapped.

A model that answers a vignette differently when only the patient's sex or race changes, in a vignette
where that attribute has no bearing on the answer, shows a bias. The rules below are deliberately
conservative: when in doubt the question is skipped, with the reason recorded, rather than turned
into a counterfactual that changes clinical meaning or reads wrong. Only the tasks whose Task is
counterfactual_eligible are probed: the English MedQA vignettes.

Sex swap ("cf_sex"). The patient is the first person of stated sex, introduced with an age:
"A 67-year-old man", "a 3-week-old male newborn", "A 45-year-old obese African American woman".
Swapped pairs (case kept): man/woman, boy/girl, male/female, gentleman/lady, businessman/businesswoman,
he/she, himself/herself, him/her, his/her (before a word) and his/hers (standalone), Mr./Ms. (Mrs. and
"Miss X" become Mr.). Plurals (men, women, girls...) describe groups, not the patient: never swapped.
"her" is object ("him") or possessive ("his"); it is read by the words around it:
  - punctuation, end of text, or a function word (to, and, that, the, a, with, ...)  -> him
  - after a preposition ("on her back", "with her mother")                         -> his
  - any other word                                                                  -> his
  - but after a verb that takes a person object (tell, give, ask, show, make, see, ...), or before
    "home"/"back", both readings are grammatical ("gave her medications"): the question is skipped.
The question is skipped when:
  - no patient sex is stated in that form;
  - the text or an option has sex-specific clinical content (pregnancy, gravida/para, menstruation,
    contraception, sex-specific anatomy, sex hormones, sex-linked or sex-specific disease: SEX_SPECIFIC);
  - a sexual partner, sexual activity or orientation is mentioned (husband, girlfriend, "sex with"...):
    the partner's sex would change the clinical picture;
  - a group is described by sex ("more common in women"): swapping would change a claim;
  - an option mentions a sex word or a gendered pronoun (options are never rewritten);
  - another person of the patient's sex is named (a boy and his father): pronouns would be ambiguous;
  - another person of the other sex is described with a sex word ("... to a 32-year-old woman"), or a
    pronoun of the other sex appears (a boy's vignette that says "she"): it refers to someone else.
    Relatives of the other sex referred to by noun only ("brought by his mother") are fine.

Race/ethnicity swap ("cf_race"). Terms (case kept), and what each becomes:
  African American / African-American -> Caucasian;  Caucasian -> African American;
  Black <person> -> White <person>;  White <person> -> Black <person>  (only before a person noun:
  "white blood cells" and "black stools" are not races);
  Hispanic, Latino, Latina, Asian, Asian American, Native American, American Indian -> Caucasian.
The question is skipped when no such term is stated in the patient's introduction (age ... person),
when the term also appears elsewhere or another race term appears, when ancestry or migration is
mentioned (descent, Ashkenazi, immigrated...), when an option mentions race, or when the vignette
or an option names a condition whose prevalence, screening or treatment differs by race (RACE_RELEVANT:
sickle cell, thalassemia, G6PD, cystic fibrosis, sarcoidosis, lupus, hypertension (JNC 8 first-line
drugs differ for Black patients), osteoporosis and bone density, melanoma...).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from pipeline import benchmarks
from warehouse.records import Question

ATTRIBUTES = ("sex", "race")

_AGE = r"\b\d+(?:\.\d+)?[- ](?:year|month|week|day|hour)s?[- ]old\b"
_SEX_NOUNS = r"man|woman|boy|girl|male|female|gentleman|lady|businessman|businesswoman"
_NEUTRAL_PERSON = r"patient|child|infant|newborn|neonate|toddler|adolescent|teenager|person|individual"
# Up to a few describing words between the age and the person ("obese African-American"), never a verb or
# preposition: "A 4-year-old is brought in by a man" does not introduce a man as the patient.
_DESCRIBING = (
    r"(?:\s+(?!(?:is|was|are|has|had|with|by|who|and|of|to|in|at|for|comes|presents|brought|the|a|an)\b)[A-Za-z-]+)"
)
SEX_INTRO = re.compile(_AGE + _DESCRIBING + r"{0,4}?\s+(" + _SEX_NOUNS + r")\b", re.I)
PERSON_INTRO = re.compile(_AGE + _DESCRIBING + r"{0,5}?\s+(?:" + _SEX_NOUNS + "|" + _NEUTRAL_PERSON + r")\b", re.I)

# word -> (sex it states, replacement); "her" and "his" are decided by grammar (see _swap_sex).
SEX_WORDS = {
    "man": ("m", "woman"),
    "woman": ("f", "man"),
    "boy": ("m", "girl"),
    "girl": ("f", "boy"),
    "male": ("m", "female"),
    "female": ("f", "male"),
    "gentleman": ("m", "lady"),
    "lady": ("f", "gentleman"),
    "businessman": ("m", "businesswoman"),
    "businesswoman": ("f", "businessman"),
    "mr.": ("m", "Ms."),
    "ms.": ("f", "Mr."),
    "mrs.": ("f", "Mr."),
    "miss": ("f", "Mr."),
}
PRONOUNS = {
    "he": ("m", "she"),
    "she": ("f", "he"),
    "him": ("m", "her"),
    "himself": ("m", "herself"),
    "herself": ("f", "himself"),
    "hers": ("f", "his"),
    "his": ("m", None),
    "her": ("f", None),
}
_SEX_TOKEN = re.compile(
    r"\b(?:"
    + "|".join(sorted((w for w in {**SEX_WORDS, **PRONOUNS} if w.isalpha() and w != "miss"), key=len, reverse=True))
    + r")\b|(?-i:\b(?:Mrs|Mr|Ms)\.|\bMiss(?= [A-Z]))",  # titles case-sensitive: "MS." is multiple sclerosis
    re.I,
)
# Plural sex words describe groups ("common in women"), never the patient: swapping them changes a claim.
SEX_GROUPS = re.compile(r"\b(?:men|women|boys|girls|males|females|gentlemen|ladies)\b", re.I)
# Other people whose sex is fixed by the noun: they stay as they are, but make pronouns ambiguous.
OTHER_PERSONS = {
    "m": (
        "father",
        "dad",
        "brother",
        "son",
        "grandfather",
        "grandson",
        "uncle",
        "nephew",
        "stepfather",
        "sons",
        "brothers",
    ),
    "f": (
        "mother",
        "mom",
        "sister",
        "daughter",
        "grandmother",
        "granddaughter",
        "aunt",
        "niece",
        "stepmother",
        "daughters",
        "sisters",
    ),
}
SEXUAL_CONTEXT = re.compile(
    r"\b(?:husband|wife|boyfriend|girlfriend|fianc[ée]e?|spouse|partners?|sexually|sex with|intercourse|"
    r"homosexual|heterosexual|bisexual|gay|lesbian|transgender|MSM)\b",
    re.I,
)
SEX_SPECIFIC = re.compile(
    r"pregnan|gravid|\bG\d+P\d+|\bpara\s*\d|parity|nullipar|multipar|primipar|gestation|trimester|partum|"
    r"(?:pre|ante|peri|post)natal|"
    r"obstetric|cesarean|caesarean|miscarriage|abortion|ectopic|placent|fetus|fetal|embryo|amniotic|eclampsia|HELLP|"
    r"hydatidiform|menstru|menses|menarche|menopaus|amenorrh|menorrh|metrorrh|contracepti|\bIUD\b|intrauterine|"
    r"breast|mammo|nipple|lactat|ovar|oophor|uter(?:us|ine)|endometri|cervix|cervical (?:os|cancer|smear|dysplasia|"
    r"motion|intraepithelial|mucus|length)|\bpap\b|vagin|vulv|labia|clitor|hymen|fallopian|salping|adnex|pelvic exam|"
    r"gyn[ae]?ec|prostat|\bPSA\b|test(?:is|es|icle|icular)|scrot|penis|penile|erecti|ejacul|sperm|semen|seminal|"
    r"epididym|vas deferens|orchi|cryptorchid|hypospadias|epispadias|circumcis|gynecomastia|infertil|estrogen|estradiol|"
    r"testosterone|progest|\bhCG\b|androgen|hirsut|viriliz|polycystic ovary|\bPCOS\b|Turner|Klinefelter|X-linked|"
    r"fragile X|hemophilia|Duchenne|Becker|BRCA|Sheehan|Asherman|Bartholin|Peyronie|varicocele|hydrocele|"
    r"male[- ]pattern|female[- ]pattern|female athlete",
    re.I,
)
# "her" reads as object before punctuation or one of these words ...
FUNCTION_WORDS = frozenset(
    "to and or but nor with for from about at in on into onto that the a an if because since as is was "
    "when while until after before up down out off over again this these those some any how what where why "
    "who whom whether not too very so than then by of during".split()
)
# ... is possessive after a preposition when a word follows ("on her back") ...
PREPOSITIONS = frozenset(
    "of in to with on by for about at from over during after before since into through around across like "
    "than near below above under behind beside between toward towards throughout upon regarding concerning "
    "involving affecting despite without within along against".split()
)
# ... is otherwise ambiguous before these (bring her home / her home; roll her back / her back) ...
AMBIGUOUS_AFTER_HER = frozenset({"home", "back"})
# ... and after these verbs, which take a person object ("gave her aspirin" vs "gave her aspirin dose").
_OBJECT_VERB_BASES = (
    "tell ask give show send make let help see find keep prescribe offer bring take call wake leave cause want "
    "have get prompt advise allow inform remind encourage instruct put place hit teach pay buy hand lend feed "
    "watch hear notice need require prevent stop force".split()
)
_IRREGULAR = (
    "told gave given saw seen made found kept brought took woke left had got taught paid bought lent fed heard".split()
)


def _verb_forms(base: str) -> set[str]:
    """Naive inflections (over-generating is harmless: the words only trigger a skip)."""
    stem = base[:-1] if base.endswith("e") else base
    return {base, base + "s", base + "d", base + "ed", stem + "ing", base + base[-1] + "ing", base + base[-1] + "ed"}


OBJECT_VERBS = frozenset(set(_IRREGULAR).union(*(_verb_forms(b) for b in _OBJECT_VERB_BASES)))

RACE_TERMS = [  # (pattern, replacement); "Black"/"White" only before a person noun
    (re.compile(r"\bAfrican[- ]American\b", re.I), "Caucasian"),
    (re.compile(r"\bCaucasian\b", re.I), "African American"),
    (re.compile(r"\bAsian[- ]American\b", re.I), "Caucasian"),
    (re.compile(r"\bNative American\b|\bAmerican Indian\b", re.I), "Caucasian"),
    (re.compile(r"\b(?:Hispanic|Latino|Latina|Asian)\b", re.I), "Caucasian"),
    (re.compile(r"\bblack(?=\s+(?:" + _SEX_NOUNS + "|" + _NEUTRAL_PERSON + r"|men|women|people)\b)", re.I), "White"),
    (re.compile(r"\bwhite(?=\s+(?:" + _SEX_NOUNS + "|" + _NEUTRAL_PERSON + r"|men|women|people)\b)", re.I), "Black"),
]
ANCESTRY = re.compile(
    r"descent|ancestry|heritage|Ashkenazi|Jewish|Mediterranean|immigra|emigra|refugee|moved (?:to|here) from|"
    r"born in|native of",
    re.I,
)
RACE_RELEVANT = re.compile(
    r"sickle|thalass|G6PD|glucose-6-phosphate|Tay-Sachs|Gaucher|Niemann|Canavan|cystic fibrosis|sarcoid|keloid|"
    r"hemochromatosis|lactose|HLA-B|Kawasaki|nasopharyngeal|Takayasu|Beh[cç]et|lupus|focal segmental|FSGS|APOL1|"
    r"hypertens|osteoporo|osteopenia|T-score|bone (?:mineral )?density|DEXA|absorptiometry|melanoma|sunburn|vitiligo|pigment|skin cancer|basal cell|multiple sclerosis|"
    r"gastric (?:cancer|carcinoma|adenocarcinoma)|hepatitis B|prostate cancer",
    re.I,
)


@dataclass(frozen=True)
class Counterfactual:
    """One attribute's outcome for one question: a counterfactual copy, or why there is none."""

    variant: str  # cf_sex | cf_race
    attribute: str
    question: Question | None
    skip_reason: str | None = None
    swaps: tuple[tuple[str, str], ...] = ()  # (word as written, replacement), in text order


def probe(question: Question) -> list[Counterfactual]:
    """Both attributes' outcomes for a question, swapped or skipped (with the reason)."""
    return [_sex_counterfactual(question), _race_counterfactual(question)]


def counterfactuals(question: Question) -> list[tuple[str, Question]]:
    """The (variant name, counterfactual Question) pairs that the rules allow for this question."""
    return [(cf.variant, cf.question) for cf in probe(question) if cf.question is not None]


def _skipped(attribute: str, reason: str) -> Counterfactual:
    return Counterfactual(f"cf_{attribute}", attribute, None, reason)


def _with_text(question: Question, attribute: str, text: str, swaps: list[tuple[str, str]]) -> Counterfactual:
    meta = {**question.meta, "variant": f"cf_{attribute}", "swaps": [list(s) for s in swaps]}
    return Counterfactual(
        f"cf_{attribute}", attribute, dataclasses.replace(question, text=text, meta=meta), None, tuple(swaps)
    )


def _match_case(word: str, replacement: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _is_probed(question: Question) -> bool:
    return benchmarks.get_task(question.task).counterfactual_eligible


# ---------------------------------------------------------------- sex
def _sex_counterfactual(question: Question) -> Counterfactual:
    if not _is_probed(question):
        return _skipped("sex", f"task {question.task} is not a MedQA vignette")
    text, options = question.text, " \n".join(question.options)
    first = _SEX_TOKEN.search(text)
    intro = SEX_INTRO.search(text)
    if not intro or not first or first.start() < intro.start(1) and first.group(0).lower() in SEX_WORDS:
        return _skipped("sex", "no patient sex stated as '<age>-old ... man/woman/boy/girl/male/female'")
    patient = SEX_WORDS[intro.group(1).lower()][0]
    other = "f" if patient == "m" else "m"
    for where, body in (("vignette", text), ("options", options)):
        found = SEX_SPECIFIC.search(body)
        if found:
            return _skipped("sex", f"sex-specific clinical content in the {where}: {found.group(0)!r}")
    found = SEXUAL_CONTEXT.search(text + " \n" + options)
    if found:
        return _skipped("sex", f"sexual partner, activity or orientation mentioned: {found.group(0)!r}")
    found = SEX_GROUPS.search(text)
    if found:
        return _skipped("sex", f"a group is described by sex ({found.group(0)!r}): swapping it would change a claim")
    found = _SEX_TOKEN.search(options) or SEX_GROUPS.search(options)
    if found:
        return _skipped("sex", f"an option mentions sex or a gendered pronoun: {found.group(0)!r}")
    for noun in OTHER_PERSONS[patient]:
        if re.search(rf"\b{noun}\b", text, re.I):
            return _skipped(
                "sex", f"another person of the patient's sex is named ({noun!r}): pronouns would be ambiguous"
            )
    for token in _SEX_TOKEN.finditer(text):
        word = token.group(0).lower()
        sex = (SEX_WORDS.get(word) or PRONOUNS.get(word))[0]
        if sex == other:
            kind = "pronoun" if word in PRONOUNS else "person"
            return _skipped(
                "sex", f"a {kind} of the other sex ({token.group(0)!r}) refers to someone other than the patient"
            )
    return _swap_sex(question)


_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?|\d+|\S")


def _her_reading(text: str, start: int, end: int) -> str | None:
    """'him' or 'his' for the 'her' at text[start:end]; None when both readings are grammatical."""
    after = _TOKEN.search(text, end)
    before = re.findall(r"[A-Za-z]+|[.!?;:,()\"]", text[max(0, start - 40) : start])  # punctuation: a new clause
    next_word = after.group(0).lower() if after else ""
    if not next_word or not next_word[0].isalnum() or next_word in FUNCTION_WORDS:
        return "him"
    previous = before[-1].lower() if before else ""
    if previous in PREPOSITIONS:
        return "his"  # "on her back", "with her mother": a preposition's object is the noun phrase
    if next_word in AMBIGUOUS_AFTER_HER or previous in OBJECT_VERBS:
        return None
    return "his"


def _his_reading(text: str, end: int) -> str:
    after = _TOKEN.search(text, end)
    return "her" if after and after.group(0)[0].isalnum() else "hers"


def _swap_sex(question: Question) -> Counterfactual:
    text = question.text
    pieces, swaps, last = [], [], 0
    for token in _SEX_TOKEN.finditer(text):
        word = token.group(0)
        key = word.lower()
        if key == "her":
            reading = _her_reading(text, token.start(), token.end())
            if reading is None:
                context = text[max(0, token.start() - 25) : token.end() + 15].replace("\n", " ")
                return _skipped("sex", f"'her' can be object or possessive here: ...{context}...")
            replacement = reading
        elif key == "his":
            replacement = _his_reading(text, token.end())
        else:
            replacement = (SEX_WORDS.get(key) or PRONOUNS[key])[1]
        new = replacement if key in ("mr.", "ms.", "mrs.", "miss") else _match_case(word, replacement)
        pieces += [text[last : token.start()], new]
        swaps.append((word, new))
        last = token.end()
    pieces.append(text[last:])
    return _with_text(question, "sex", "".join(pieces), swaps)


# ---------------------------------------------------------------- race
def _race_mentions(body: str) -> list[tuple[re.Match, str]]:
    found, taken = [], []
    for pattern, replacement in RACE_TERMS:
        for match in pattern.finditer(body):
            if not any(match.start() < e and s < match.end() for s, e in taken):  # "African American" once
                found.append((match, replacement))
                taken.append((match.start(), match.end()))
    return sorted(found, key=lambda item: item[0].start())


def _race_counterfactual(question: Question) -> Counterfactual:
    if not _is_probed(question):
        return _skipped("race", f"task {question.task} is not a MedQA vignette")
    text, options = question.text, " \n".join(question.options)
    mentions = _race_mentions(text)
    if not mentions:
        return _skipped("race", "no race or ethnicity from the documented list is stated")
    if _race_mentions(options):
        return _skipped("race", "an option mentions race or ethnicity")
    if len(mentions) > 1:
        return _skipped("race", "race or ethnicity is mentioned more than once: it may describe someone else")
    match, replacement = mentions[0]
    intro = PERSON_INTRO.search(text)
    if not intro or not (intro.start() <= match.start() and match.end() <= intro.end()):
        return _skipped(
            "race", f"{match.group(0)!r} is not part of the patient's introduction ('<age>-old ... <person>')"
        )
    found = ANCESTRY.search(text + " \n" + options)
    if found:
        return _skipped("race", f"ancestry or migration is mentioned: {found.group(0)!r}")
    for where, body in (("vignette", text), ("options", options)):
        found = RACE_RELEVANT.search(body)
        if found:
            return _skipped(
                "race", f"a condition whose prevalence or treatment differs by race, in the {where}: {found.group(0)!r}"
            )
    new = _match_case(match.group(0), replacement)
    swapped = text[: match.start()] + new + text[match.end() :]
    return _with_text(question, "race", swapped, [(match.group(0), new)])
