"""The page language as an ISO 639-1 code."""
from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from presswatch.crawler.parsing.structured import Structured, ld_text

_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")
_THREE_TO_TWO = {"eng": "en", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "spa": "es",
                 "rus": "ru", "ukr": "uk", "aze": "az", "tur": "tr", "ita": "it", "por": "pt",
                 "nld": "nl", "pol": "pl", "kaz": "kk", "zho": "zh", "chi": "zh", "jpn": "ja",
                 "kor": "ko", "ara": "ar", "nob": "nb", "nno": "nn"}
_SCRIPTS = (
    ("ko", re.compile("[\uac00-\ud7af]")), ("ja", re.compile("[\u3040-\u30ff]")),
    ("zh", re.compile("[\u4e00-\u9fff]")), ("ar", re.compile("[\u0600-\u06ff]")),
    ("he", re.compile("[\u0590-\u05ff]")), ("el", re.compile("[\u0370-\u03ff]")),
    ("ka", re.compile("[\u10a0-\u10ff]")), ("hy", re.compile("[\u0530-\u058f]")),
    ("th", re.compile("[\u0e00-\u0e7f]")), ("hi", re.compile("[\u0900-\u097f]")),
    ("ru", re.compile("[\u0400-\u04ff]")),
)
_CYRILLIC_HINTS = (("uk", re.compile("[іїєґІЇЄҐ]")), ("kk", re.compile("[әғқңөұүһӘҒҚҢӨҰҮҺ]")),
                   ("be", re.compile("[ўЎ]")), ("sr", re.compile("[ђћџЂЋЏ]")))
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in {
        "en": "the and of to in is that for was with on are as by this have from it be at said",
        "de": "der die und den das ist nicht mit sich des auf für ein eine dem im zu von auch wird",
        "fr": "le la les et des est une dans pour qui que sur pas du au par avec il ce sont",
        "es": "el la los las de que y en del se por con para una es al lo como más pero",
        "it": "il di che la è e per una non in sono della del con gli le si anche alla",
        "pt": "o a de que e do da em um para com não uma os no se na por mais as dos",
        "nl": "de het een en van is dat op te in zijn met voor niet aan er ook die",
        "tr": "ve bir bu da de için ile olarak çok daha olan gibi ama en kadar sonra",
        "az": "və bir bu da də üçün ilə olaraq çox daha olan kimi ki isə edib",
        "pl": "i w nie na się z do że jest to o jak po co ale za od przez",
        "sv": "och att det som en är av för med till den på inte har om var",
        "da": "og at det som en er af for med til den på ikke har om var de",
        "no": "og at det som en er av for med til den på ikke har om var",
        "is": "og að í á er sem það við til um með ekki var en",
        "zu": "ukuthi futhi kodwa uma kanye ngoba lokho abantu ngesikhathi noma",
        "xh": "ukuba kwaye kodwa xa ngoko abantu ukuze kunye okanye",
    }.items()
}
# word -> the languages listing it: one dict lookup a word instead of one set per language
_STOPWORD_LANGUAGES: dict[str, tuple[str, ...]] = {
    word: tuple(lang for lang, stops in STOPWORDS.items() if word in stops)
    for word in set().union(*STOPWORDS.values())
}
_WORD = re.compile(r"[^\W\d_]+")
_ISO_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks "
    "ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl "
    "nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve "
    "vi vo wa wo xh yi yo za zh zu"
)
# "kr" (Kanuri) is, on news pages, a mistyped Korean "ko".
ISO_639_1 = frozenset(_ISO_CODES.split()) - {"kr"}
_COMMON_MISTAKES = {"kr": "ko", "jp": "ja", "cn": "zh", "ua": "uk", "gr": "el", "cz": "cs",
                    "dk": "da", "se": "sv", "iw": "he", "in": "id", "ji": "yi"}


def normalise_code(value: str | None) -> str | None:
    """``en-US`` → ``en``; ``deu`` → ``de``; anything unrecognisable → None."""
    if not value:
        return None
    match = _CODE.match(value.strip())
    if not match:
        return None
    code = match.group(1).lower()
    code = _THREE_TO_TWO.get(code, _COMMON_MISTAKES.get(code, code))
    return code if code in ISO_639_1 else None


def declared_language(tree: HtmlElement, structured: Structured) -> str | None:
    candidates: list[str | None] = [ld_text(v) for v in structured.ld_values("inLanguage")]
    candidates.append(tree.get("lang") or tree.get("xml:lang"))
    candidates.append(structured.first_meta("og:locale", "content-language", "dc.language",
                                            "language", "dcterms.language"))
    for candidate in candidates:
        code = normalise_code(candidate)
        if code:
            return code
    return None


def detect_language(text: str) -> str | None:
    """A guess from the writing system and, for Latin script, common function words."""
    return detect_with_confidence(text)[0]


def detect_with_confidence(text: str) -> tuple[str | None, float]:
    """(language, how many times likelier than the runner-up; inf for a distinct script)."""
    sample = text[:3000]
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(sample)) > 20:
            return (_cyrillic(sample) if code == "ru" else code), float("inf")
    return _by_stopwords(_WORD.findall(sample.lower()))


def choose_language(declared: str | None, hint: str | None, text: str) -> str | None:
    """The declared language unless the text plainly is in another one."""
    detected, confidence = detect_with_confidence(text)
    if declared is None:
        return hint or detected
    if detected and detected != declared and confidence >= 4 and _comparable(declared, detected):
        return detected
    return declared


def _comparable(declared: str, detected: str) -> bool:
    latin = set(STOPWORDS)
    if declared in latin and detected in latin:
        return True
    scripts = {code for code, _ in _SCRIPTS} | {"uk", "kk", "be", "sr"}
    return declared in latin and detected in scripts


def _cyrillic(sample: str) -> str:
    for code, pattern in _CYRILLIC_HINTS:
        if len(pattern.findall(sample)) > 3:
            return code
    return "ru"


def _by_stopwords(words: Iterable[str]) -> tuple[str | None, float]:
    counts = dict.fromkeys(STOPWORDS, 0)
    total = 0
    for word in words:
        total += 1
        for lang in _STOPWORD_LANGUAGES.get(word, ()):
            counts[lang] += 1
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (lang, hits), (_, runner_up) = ranked[0], ranked[1]
    if total < 5 or hits < 2:
        return None, 0.0
    return lang, hits / max(runner_up, 1)
