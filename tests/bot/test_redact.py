"""Redaction of personal identifiers: what is removed, what must stay, and its properties."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.faq.schema import entry_paths
from bot.privacy.redact import (
    PLACEHOLDERS,
    Redaction,
    bsn_is_valid,
    contains_identifier,
    iban_is_valid,
    redact,
)

ROOT = Path(__file__).resolve().parents[2]

# --- BSN ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "123456782",
        "111222333",
        "012345672",  # a leading zero, written
        "12345672",  # the same BSN with the leading zero left off
        "1234.56.782",  # the format on Dutch documents
        "1234 56 782",
        "123 456 782",
        "123.456.782",
        "123.45.672",  # eight digits, dotted
    ],
)
def test_valid_bsn_is_redacted(number: str) -> None:
    assert redact(number) == Redaction(text="[BSN]", kinds=("bsn",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mijn BSN is 123456782.", "mijn BSN is [BSN]."),
        ("BSN:123456782", "BSN:[BSN]"),
        ("bsn 123456782?", "bsn [BSN]?"),
        ("мій BSN 1234.56.782, що робити?", "мій BSN [BSN], що робити?"),
        ("(123456782)", "([BSN])"),
    ],
)
def test_bsn_in_a_sentence(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "123456789",  # fails the 11-test
        "111111111",
        "000000000",  # passes the sum, but is no number
        "00000000",
        "12345678",  # eight digits that fail the 11-test
        "1234567820",  # ten digits: not a BSN, even though its first nine pass
        "9123456782",
        "€ 123.456.782",  # an amount, though the digits pass
        "€123456782",
        "EUR 123.456.782,00",
        "123.456.782,50",
        "20240512",  # a date, though the digits pass
        "12052024",
        "WW-123456782",  # a code
        "ref/123456782",
        "AB123456782",
        "123456782a",
        "1.123456782",
        "123-456-782",  # not a way BSNs are written, and the shape of many codes
    ],
)
def test_not_a_bsn(text: str) -> None:
    assert redact(text) == Redaction(text=text, kinds=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BSN 123456789", "BSN [BSN]"),
        ("mijn bsn is 123456789", "mijn bsn is [BSN]"),
        ("BSN-nummer: 1234.56.789", "BSN-nummer: [BSN]"),
        ("burgerservicenummer 12345678", "burgerservicenummer [BSN]"),
        ("мій БСН 123456789", "мій БСН [BSN]"),
    ],
)
def test_number_after_bsn_keyword_is_redacted_even_if_mistyped(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("123456782", True),
        ("1234.56.782", True),
        ("12345672", True),
        ("123456789", False),
        ("000000000", False),
        ("1234567", False),
        ("1234567890", False),
        ("", False),
    ],
)
def test_bsn_is_valid(number: str, *, valid: bool) -> None:
    assert bsn_is_valid(number) is valid


# --- IBAN --------------------------------------------------------------------------------

VALID_IBANS = [
    "NL91ABNA0417164300",
    "NL91 ABNA 0417 1643 00",
    "nl91 abna 0417 1643 00",
    "nl91abna0417164300",
    "NL02ABNA0123456789",
    "UA213223130000026007233566001",  # 29 characters
    "UA21 3223 1300 0002 6007 2335 6600 1",
    "DE89370400440532013000",
    "DE89 3704 0044 0532 0130 00",
    "BE68 5390 0754 7034",
    "GB29 NWBK 6016 1331 9268 19",
    "PL61 1090 1014 0000 0712 1981 2874",
    "FR14 2004 1010 0505 0001 3M02 606",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_iban_is_redacted(iban: str) -> None:
    assert iban_is_valid(iban)
    assert redact(iban) == Redaction(text="[IBAN]", kinds=("iban",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN: NL91 ABNA 0417 1643 00, graag", "IBAN: [IBAN], graag"),
        ("rekening NL91ABNA0417164300.", "rekening [IBAN]."),
        # Grouped by four, the IBAN ends before a four-letter word that follows it.
        ("BE68 5390 0754 7034 mijn rekening", "[IBAN] mijn rekening"),
        ("мій рахунок UA21 3223 1300 0002 6007 2335 6600 1 у ПриватБанку",
         "мій рахунок [IBAN] у ПриватБанку"),
    ],
)  # fmt: skip
def test_iban_in_a_sentence(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "NL91ABNA0417164301",  # wrong check
        "NL91 ABNA 0417 1643 01",
        "NL19ABNA0417164300",
        "NL91ABNA041716430",  # too short
        "NL91ABNA04171643001",  # too long
        "XX91ABNA0417164300",  # no such country
        "UA21322313000002600723356600",  # 28 characters
        "NL12",
        "NL91ABNA0417164300X",  # inside a longer word
    ],
)
def test_invalid_iban_is_left_alone(text: str) -> None:
    """Neither redacted nor mistaken for a phone number or a BSN in its digits."""
    assert redact(text) == Redaction(text=text, kinds=())


# --- phone numbers -----------------------------------------------------------------------

PHONES = [
    # Dutch mobile
    "0612345678",
    "06-12345678",
    "06 12345678",
    "06 1234 5678",
    "06-1234 5678",
    "06 12 34 56 78",
    "06 - 12345678",
    "+31612345678",
    "+31 6 12345678",
    "+31 (0)6 12345678",
    "+316 1234 5678",
    "0031 6 12345678",
    "0031612345678",
    # Dutch landlines (Almere is 036)
    "020-1234567",
    "020 123 4567",
    "036 123 4567",
    "036-5399999",
    "(036) 123 45 67",
    "0320-123456",
    "+31 36 123 4567",
    "+31 (0)20 123 4567",
    # Ukrainian
    "+380 50 123 45 67",
    "+380501234567",
    "+380 (50) 123-45-67",
    "380501234567",
    "050 123 45 67",
    "067-123-45-67",
    "(050) 123-45-67",
    "0671234567",
    "00380501234567",
    # elsewhere, with a country code
    "+48 123 456 789",
    "+49 30 1234567",
    "+32 2 123 45 67",
    "+1 (555) 123-4567",
    "+44 20 7946 0958",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_number_is_redacted(phone: str) -> None:
    assert redact(phone) == Redaction(text="[PHONE]", kinds=("phone",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bel me op 06-12345678!", "bel me op [PHONE]!"),
        ("tel: +31 6 12345678", "tel: [PHONE]"),
        ("Tel.:0612345678", "Tel.:[PHONE]"),
        ("мій номер +380 50 123 45 67, дзвоніть", "мій номер [PHONE], дзвоніть"),
        ("020 1234567 of 06 12345678", "[PHONE] of [PHONE]"),
        ("020 1234567 06 12345678", "[PHONE] [PHONE]"),
        ("8 050 123 45 67", "8 [PHONE]"),
    ],
)
def test_phone_number_in_a_sentence(text: str, expected: str) -> None:
    assert redact(text).text == expected


PUBLIC_NUMBERS = [
    "112",
    "113",
    "0800-0113",
    "0800 0113",
    "08000113",
    "0800-2000",
    "0900-8844",  # the police, when there is no emergency
    "0900 123 4567",
    "0906-1234567",
    "088 123 4567",
    "088-1234567",
    "+31 88 123 4567",
    "+31 800 0113",
    "0031 900 8844",
    "14 036",  # the municipality of Almere
    "14036",
    "1200",
]


@pytest.mark.parametrize("number", PUBLIC_NUMBERS)
def test_public_numbers_of_organisations_are_kept(number: str) -> None:
    """Numbers newcomers are told to call are not personal data, and the question needs them."""
    text = f"Ik heb {number} gebeld, maar niemand nam op."
    assert redact(text) == Redaction(text=text, kinds=())


# --- e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jan.jansen@example.com", "[EMAIL]"),
        ("mail olena+test@gmail.com please", "mail [EMAIL] please"),
        ("Ім'я: olena.k@ukr.net", "Ім'я: [EMAIL]"),
        ("INFO@GEMEENTE.NL", "[EMAIL]"),
        ("<j_de-vries@sub.mail.example.nl>", "<[EMAIL]>"),
        ("олена@пошта.укр", "[EMAIL]"),
    ],
)
def test_email_is_redacted(text: str, expected: str) -> None:
    assert redact(text).text == expected
    assert redact(text).kinds == ("email",)


@pytest.mark.parametrize("text", ["user@localhost", "@gemeente", "a @ b", "mail me @ 10:30"])
def test_not_an_email(text: str) -> None:
    assert redact(text) == Redaction(text=text, kinds=())


# --- V-number ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("V-nummer 1234567890", "V-nummer [V-NUMBER]"),
        ("v-nummer: 1234567890", "v-nummer: [V-NUMBER]"),
        ("mijn V-nummer is 1234567890", "mijn V-nummer is [V-NUMBER]"),
        ("V-nr. 1234567890", "V-nr. [V-NUMBER]"),
        ("vreemdelingennummer 1234567890", "vreemdelingennummer [V-NUMBER]"),
        ("my v-number is 1234567890", "my v-number is [V-NUMBER]"),
        ("V number: 1234567890", "V number: [V-NUMBER]"),
        ("V-nummer 12 3456 7890", "V-nummer [V-NUMBER]"),
        ("в-номер 1234567890", "в-номер [V-NUMBER]"),
        ("мій V-номер: 1234567890", "мій V-номер: [V-NUMBER]"),
        ("мій В-номер 1234567890", "мій В-номер [V-NUMBER]"),
        ("номер V 1234567890", "номер V [V-NUMBER]"),
        ("1234567890 (V-nummer)", "[V-NUMBER] (V-nummer)"),
        ("V1234567890", "[V-NUMBER]"),
        ("V-1234567890", "[V-NUMBER]"),
        ("brief van de IND, V 1234567890", "brief van de IND, [V-NUMBER]"),
        # a V-number keyword wins over the phone number the digits also look like
        ("V-nummer 0612345678", "V-nummer [V-NUMBER]"),
    ],
)
def test_v_number_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == Redaction(text=expected, kinds=("v_number",))


@pytest.mark.parametrize(
    "text",
    [
        "1234567890",  # ten digits alone: an order number, a customer number...
        "bestelnummer 1234567890",
        "klantnummer: 1234567890",
        "IV1234567890",
        "TV 1234567890",
        "V-nummer 123456789",  # nine digits
        "V-nummer 12345678901",  # eleven
        "V-nummer kwijt, wat nu?",
    ],
)
def test_not_a_v_number(text: str) -> None:
    assert redact(text) == Redaction(text=text, kinds=())


# --- what must never be redacted ---------------------------------------------------------

MUST_STAY = [
    "12-05-2024",
    "2024-05-12",
    "12.05.2024",
    "12/05/2024",
    "01-05-2024",
    "op 06-12-2024 om 10:30",
    "op 06-12-2024 10 uur",
    "10:30",
    "08:30-17:00",
    "06.30 07.45 08.00",
    "€ 1.234,56",
    "€ 0,50",
    "1.234.567",
    "€ 12.345.678",
    "1315 AB",
    "Stationsstraat 12, 1315 AB Almere",
    "2024",
    "in 2023 en 2024",
    "K7P-Q4X",  # a ticket code
    "347-963",
    "WW-2024-000123",
    "ISBN 978-90-123-4567-8",
    "versie 2.3.4",
    "2 kinderen van 6 en 8 jaar",
    "0 1 2 3 4 5 6 7 8 9",
    "kamer 0.12",
    "3 x 4",
    "tel 112",
    "[BSN] [IBAN] [PHONE] [EMAIL] [V-NUMBER]",
    "",
    "Hoe vraag ik een DigiD aan?",
    "Як отримати BSN?",
]


@pytest.mark.parametrize("text", MUST_STAY)
def test_must_not_redact(text: str) -> None:
    assert redact(text) == Redaction(text=text, kinds=())
    assert not contains_identifier(text)


def test_no_question_of_the_knowledge_base_is_redacted() -> None:
    """Real questions ("how do I get a BSN?", "what does 0800-0113 cost?") keep their words."""
    questions = []
    for path in entry_paths(ROOT / "faq"):
        entry = yaml.safe_load(path.read_text(encoding="utf-8"))
        for field in ("questions", "heldout"):
            for texts in (entry.get(field) or {}).values():
                questions.extend(texts)
    assert len(questions) > 1000
    assert [text for text in questions if contains_identifier(text)] == []


# --- several at once ---------------------------------------------------------------------


def test_kinds_in_order_of_first_appearance_without_duplicates() -> None:
    result = redact(
        "mail olena@ukr.net of bel 06-12345678 of 020-1234567; BSN 123456782, "
        "IBAN NL91ABNA0417164300, V-nummer 1234567890, olena2@ukr.net"
    )
    assert result == Redaction(
        text="mail [EMAIL] of bel [PHONE] of [PHONE]; BSN [BSN], "
        "IBAN [IBAN], V-nummer [V-NUMBER], [EMAIL]",
        kinds=("email", "phone", "bsn", "iban", "v_number"),
    )


def test_placeholders_are_language_neutral() -> None:
    assert all(p.isascii() and p.startswith("[") and p.endswith("]") for p in PLACEHOLDERS.values())
    assert not any(char.isdigit() or char == "@" for p in PLACEHOLDERS.values() for char in p)


def test_contains_identifier() -> None:
    assert contains_identifier("bel 06-12345678")
    assert not contains_identifier("bel 0800-0113")


# --- properties --------------------------------------------------------------------------


@st.composite
def bsns(draw: st.DrawFn) -> str:
    first = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    check = sum(w * d for w, d in zip(range(9, 1, -1), first, strict=True)) % 11
    if check == 10 or not any(first):  # no BSN ends in 10; all zeros is no BSN
        first = [1, 2, 3, 4, 5, 6, 7, 8]
        check = 2
    number = "".join(map(str, [*first, check]))
    return draw(st.sampled_from([number, f"{number[:4]}.{number[4:6]}.{number[6:]}"]))


@st.composite
def dutch_ibans(draw: st.DrawFn) -> str:
    bank = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4))
    account = draw(st.text("0123456789", min_size=10, max_size=10))
    digits = "".join(str(int(char, 36)) for char in f"{bank}{account}NL00")
    iban = f"NL{98 - int(digits) % 97:02d}{bank}{account}"
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return draw(st.sampled_from([iban, iban.lower(), spaced]))


emails = st.builds(
    "{}@{}.{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
)

# Text that is mostly the material identifiers, dates and amounts are made of.
dense = st.lists(
    st.sampled_from(
        [*"0123456789", *" -.()/+:,@€[]\n", "06", "0031", "+31", "380", "NL91", "ABNA", "BSN ",
         "V-nummer ", "v", " is ", "nl", "[V-NUMBER]", "[BSN]", "olena@ukr.net", "0800", "€ "]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@given(st.text(max_size=2000))
def test_never_raises_on_any_text(text: str) -> None:
    assert isinstance(redact(text).text, str)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.text(max_size=60),
    identifier=st.one_of(bsns(), dutch_ibans(), emails),
    after=st.text(max_size=60),
)
def test_identifier_never_survives(before: str, identifier: str, after: str) -> None:
    redacted = redact(f"{before}\n{identifier}\n{after}").text
    assert identifier not in redacted


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=200), dense))
def test_redacting_twice_changes_nothing(text: str) -> None:
    once = redact(text).text
    assert redact(once) == Redaction(text=once, kinds=())


def test_a_bsn_that_starts_like_a_free_number_is_redacted() -> None:
    """080000009 passes the 11-test: it is a BSN, not the free 0800 line it starts like."""
    assert "080000009" not in redact("mijn nummer\n080000009\n").text
    assert redact("bel 0800-1234").text == "bel 0800-1234"
