"""Languages other than English: sentences split and numbers read in the book's language.

The tables are per language, one row a case. English keeps its own rules (test_text_normalize,
test_text_reading) and must come out exactly as before: see the last tests here.
"""

from __future__ import annotations

import pytest

from audiobook_tts.config import ChunkingOptions
from audiobook_tts.languages import SUPPORTED
from audiobook_tts.text import chunk_chapter, normalize, split_sentences
from audiobook_tts.text.chunker import coverage_mismatch
from audiobook_tts.text.i18n_numbers import supported
from audiobook_tts.text.normalize import normalize_title

# Three sentences in each language, with its own sentence ends ("。", "؟", "।", "¿...?").
THREE_SENTENCES = {
    "ar": ("وصل القطار.", "هل رأيته؟", "نعم!"),
    "da": ("Toget kom.", "Så du det?", "Ja!"),
    "de": ("Der Zug kam um 3 Uhr.", "Hast du ihn gesehen?", "Ja!"),
    "el": ("Το τρένο ήρθε.", "Το είδες;", "Ναι!"),
    "es": ("El tren llegó.", "¿Lo viste?", "¡Sí!"),
    "fi": ("Juna tuli.", "Näitkö sen?", "Kyllä!"),
    "fr": ("Le train est arrivé.", "L'as-tu vu ?", "Oui !"),
    "he": ("הרכבת הגיעה.", "ראית אותה?", "כן!"),
    "hi": ("ट्रेन आ गई।", "क्या तुमने देखा?", "हाँ!"),
    "it": ("Il treno è arrivato.", "L'hai visto?", "Sì!"),
    "ja": ("電車が来ました。", "見ましたか？", "はい！"),
    "ko": ("기차가 왔습니다.", "봤어요?", "네!"),
    "ms": ("Kereta api tiba.", "Adakah anda melihatnya?", "Ya!"),
    "nl": ("De trein kwam.", "Zag je hem?", "Ja!"),
    "no": ("Toget kom.", "Så du det?", "Ja!"),
    "pl": ("Pociąg przyjechał.", "Widziałeś go?", "Tak!"),
    "pt": ("O comboio chegou.", "Viste-o?", "Sim!"),
    "ru": ("Поезд пришёл.", "Ты его видел?", "Да!"),
    "sv": ("Tåget kom.", "Såg du det?", "Ja!"),
    "sw": ("Treni ilifika.", "Uliiona?", "Ndiyo!"),
    "tr": ("Tren geldi.", "Gördün mü?", "Evet!"),
    "zh": ("火车来了。", "你看见了吗？", "是的！"),
}


def test_every_language_has_a_splitting_case():
    assert sorted(THREE_SENTENCES) == [code for code in SUPPORTED if code != "en"]


@pytest.mark.parametrize("language", sorted(THREE_SENTENCES))
def test_three_sentences_in_every_language(language):
    sentences = THREE_SENTENCES[language]
    joiner = "" if language in ("ja", "zh") else " "  # written without spaces
    said = split_sentences(normalize(joiner.join(sentences), language), language)
    assert said == [normalize(s, language) for s in sentences]


# Abbreviations and ordinals that end in a full stop must not end a sentence.
@pytest.mark.parametrize(
    ("language", "paragraph", "sentences"),
    [
        ("fr", "M. Dupont arriva le 1er mars. Mme Roux payait, etc. Puis elle partit.",
         ["Monsieur Dupont arriva le premier mars.", "Madame Roux payait, et cetera.", "Puis elle partit."]),
        ("fr", "« Bonjour ! » dit-il. Voir p. 5.",
         ['"Bonjour!" dit-il.', "Voir page cinq."]),
        ("de", "Dr. Müller kam am 3. März an. Er zahlte z. B. 12 € usw. Dann ging er.",
         ["Doktor Müller kam am dritten März an.", "Er zahlte zum Beispiel zwölf Euro und so weiter.",
          "Dann ging er."]),
        ("de", "Im 19. Jh. war das anders. Er sagte: „Guten Tag!“ Und ging.",
         ["Im neunzehnten Jahrhundert war das anders.", 'Er sagte: "Guten Tag!"', "Und ging."]),
        ("es", "El Sr. García llegó el 1.º de marzo. ¿Vienes? ¡Sí!",
         ["El Señor García llegó el primero de marzo.", "¿Vienes?", "¡Sí!"]),
        ("it", "Il Sig. Rossi arrivò, ecc. Poi partì.",
         ["Il Signor Rossi arrivò, eccetera.", "Poi partì."]),
    ],
)
def test_abbreviations_do_not_end_sentences(language, paragraph, sentences):
    assert split_sentences(normalize(paragraph, language), language) == sentences


NUMBERS = [
    ('fr', '1 815', 'mille huit cent quinze'),
    ('fr', '1.815', 'mille huit cent quinze'),
    ('fr', '3,14', 'trois virgule un quatre'),
    ('fr', '12,50 €', 'douze euros et cinquante centimes'),
    ('fr', '€5', 'cinq euros'),
    ('fr', '15 %', 'quinze pour cent'),
    ('fr', '1er', 'premier'),
    ('fr', '1re', 'première'),
    ('fr', '2e', 'deuxième'),
    ('fr', 'XIXe siècle', 'dix-neuvième siècle'),
    ('fr', 'en 1815', 'en mille huit cent quinze'),
    ('fr', '-5', 'moins cinq'),
    ('fr', '007', 'zéro zéro sept'),
    ('de', '1.815', 'eintausendachthundertfünfzehn'),
    ('de', '3,14', 'drei Komma eins vier'),
    ('de', '12,50 €', 'zwölf Euro und fünfzig Cent'),
    ('de', '2 €', 'zwei Euro'),
    ('de', '15 %', 'fünfzehn Prozent'),
    ('de', 'am 3. März', 'am dritten März'),
    ('de', '19. Jahrhundert', 'neunzehnten Jahrhundert'),
    ('de', '1815', 'achtzehnhundertfünfzehn'),
    ('de', '2024', 'zweitausendvierundzwanzig'),
    ('es', '1.815', 'mil ochocientos quince'),
    ('es', '3,14', 'tres punto uno cuatro'),
    ('es', '12,50 €', 'doce euros con cincuenta céntimos'),
    ('es', '1.º', 'primero'),
    ('es', '1.ª', 'primera'),
    ('es', '15 %', 'quince por ciento'),
    ('it', '1.815', 'milleottocentoquindici'),
    ('it', '3,14', 'tre virgola uno quattro'),
    ('it', '12,50 €', 'dodici euro e cinquanta centesimi'),
    ('it', '1º', 'primo'),
    ('it', '15 %', 'quindici per cento'),
    ('pt', '1.815', 'mil oitocentos e quinze'),
    ('pt', '3,14', 'três vírgula um quatro'),
    ('pt', '12,50 €', 'doze euros e cinquenta cêntimos'),
    ('pt', '1.ª', 'primeira'),
    ('pt', '15 %', 'quinze por cento'),
    ('nl', '1.815', 'duizendachthonderdvijftien'),
    ('nl', '3,14', 'drie komma één vier'),
    ('nl', '12,50 €', 'twaalf euro vijftig cent'),
    ('nl', '15 %', 'vijftien procent'),
    ('nl', '1815', 'achttien honderd vijftien'),
    ('ru', '1 815', 'одна тысяча восемьсот пятнадцать'),
    ('ru', '3,14', 'три целых четырнадцать сотых'),
    ('ru', '15 %', 'пятнадцать процентов'),
    ('ru', '1815', 'одна тысяча восемьсот пятнадцать'),
    ('pl', '1 815', 'tysiąc osiemset piętnaście'),
    ('pl', '3,14', 'trzy przecinek jeden cztery'),
    ('pl', '12,50 €', 'dwanaście euro pięćdziesiąt centów'),
    ('pl', '15 %', 'piętnaście procent'),
    ('sv', '1 815', 'etttusen åttahundrafemton'),
    ('sv', '3,14', 'tre komma ett fyra'),
    ('sv', '15 %', 'femton procent'),
    ('da', '1.815', 'ettusinde og ottehundrede og femten'),
    ('da', '3,14', 'tre komma et fire'),
    ('da', '15 %', 'femten procent'),
    ('da', '1815', 'atten hundrede femten'),
    ('no', '1 815', 'en tusen åtte hundre og femten'),
    ('no', '3,14', 'tre komma en fire'),
    ('no', '15 %', 'femten prosent'),
    ('no', '1815', 'atten hundre og femten'),
    ('fi', '1 815', 'tuhat kahdeksansataaviisitoista'),
    ('fi', '3,14', 'kolme pilkku yksi neljä'),
    ('fi', '12,50 €', 'kaksitoista euroa ja viisikymmentä senttiä'),
    ('fi', '15 %', 'viisitoista prosenttia'),
    ('tr', '1.815', 'binsekizyüzonbeş'),
    ('tr', '%15', 'yüzde onbeş'),
    ('he', '1,815', 'אלף שמונה מאות וחמש עשרה'),
    ('he', '3.14', 'שלוש נקודה אחת ארבע'),
    ('he', '12.50 €', 'שנים עשר אירו וחמישים סנטים'),
    ('he', '15 %', 'חמש עשרה אחוז'),
    ('ja', '1,815', '千八百十五'),
    ('ja', '3.14', '三点一四'),
    ('ja', '50%', '五十パーセント'),
    ('ja', '1815年', '千八百十五年'),
    ('ko', '1,815', '천팔백십오'),
    ('ko', '3.14', '삼 점 일 사'),
    ('ko', '50%', '오십퍼센트'),
    ('ar', '1,815', 'ألف و ثمانمائة و خمسة عشر'),
]


@pytest.mark.parametrize(("language", "written", "spoken"), NUMBERS)
def test_numbers_in_the_books_language(language, written, spoken):
    assert normalize(written, language) == spoken


@pytest.mark.parametrize("language", ["el", "hi", "ms", "sw", "zh"])
def test_languages_num2words_lacks_keep_their_digits(language):
    assert not supported(language)
    text = "1815: 12,50 € 3.14 15 % 1,815"
    assert normalize(text, language) == text


@pytest.mark.parametrize(
    ("language", "written", "spoken"),
    [
        ("ar", "12.50 €", "12.50 €"),  # no reliable decimal or currency words: left whole
        ("tr", "12,50 €", "12,50 €"),
        ("pl", "-5", "-pięć"),  # num2words cannot say a negative Polish number
        ("de", "der 2. Band", "der zwei. Band"),  # German ordinals only before months and centuries
        ("fr", "Version 1.2.3", "Version 1.2.3"),  # not a number
    ],
)
def test_known_limits(language, written, spoken):
    assert normalize(written, language) == spoken


@pytest.mark.parametrize(
    ("language", "title", "spoken"),
    [
        ("fr", "CHAPITRE XII. LE MARCHÉ", "Chapitre 12. Le Marché"),
        ("fr", "XII. Le marché", "12. Le marché"),  # no English "Chapter" put in front
        ("de", "Kapitel IV", "Kapitel 4"),
        ("es", "Capítulo III", "Capítulo 3"),
        ("ru", "Глава II", "Глава II"),  # no chapter words for this language: left alone
        ("en", "CHAPTER XII. THE HENS", "Chapter 12. The Hens"),
    ],
)
def test_titles_in_the_books_language(language, title, spoken):
    assert normalize_title(title, language) == spoken


def test_french_chapter_chunks_cover_the_text():
    paragraphs = [
        "M. Abel Leroux a gardé le phare pendant 31 ans ; il écrivait chaque matin une ligne.",
        "« Un phare est une promesse », dit-il le 1er mars 1912. " * 4,
    ]
    chunks = chunk_chapter(1, "Chapitre I", paragraphs, ChunkingOptions(), language="fr")
    assert chunks[0].text == "Chapitre un."
    assert coverage_mismatch(chunks, paragraphs, language="fr") is None
    assert all(len(c.text) <= ChunkingOptions().long_max_chars for c in chunks)


ENGLISH = [
    "Mr. Jones paid $5.50 on 3 March 1815 at 10:30 p.m., i.e. 15% more than in the 1920s.",
    "CHAPTER XII. THE HENS",
    "George III reigned 1760–1820; Part II begins on p. 5 (2½ miles).",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_the_default_and_unchanged(text):
    assert normalize(text, "en") == normalize(text)
    assert split_sentences(normalize(text), "en") == split_sentences(normalize(text))
    assert normalize(text) != normalize(text, "fr")  # the other languages' rules differ
