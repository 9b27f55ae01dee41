"""What the engine never sees: each protected part leaves as a placeholder and comes back."""

from __future__ import annotations

import pytest

from bot.translation import TranslationFailed
from bot.translation.protect import Protected, protect, restore


@pytest.mark.parametrize(
    ("text", "protected", "parts"),
    [
        ("Uw code is K7P-Q4X of K7PQ4X.", "Uw code is [1] of [2].", ("K7P-Q4X", "K7PQ4X")),
        (
            "Zie https://www.juridischloket.nl/wonen/, www.almere.nl of ind.nl/en.",
            "Zie [1], [2] of [3].",
            ("https://www.juridischloket.nl/wonen/", "www.almere.nl", "ind.nl/en"),
        ),
        ("Mail naar info@almere.nl.", "Mail naar [1].", ("info@almere.nl",)),
        (
            "Bel +31 6 1234 5678, 06-12345678, (036) 539 9911 of 14 036.",
            "Bel [1], [2], [3] of [4].",
            ("+31 6 1234 5678", "06-12345678", "(036) 539 9911", "14 036"),
        ),
        (
            "Het adres is Stationsplein 1, 1315 KT Almere, of Grote Markt 12a.",
            "Het adres is [1], of [2].",
            ("Stationsplein 1, 1315 KT Almere", "Grote Markt 12a"),
        ),
        ("Postcode 1315 KT Almere-Haven", "Postcode [1]", ("1315 KT Almere-Haven",)),
        (
            "Neem € 25,- mee, om 10:00 op 23-11-2026; het is 5 km, 50% of 3 weken.",
            "Neem [1] mee, om [2] op [3]; het is [4], [5] of [6] weken.",
            ("€ 25,-", "10:00", "23-11-2026", "5 km", "50%", "3"),
        ),
        (
            "Mevrouw De Vries en dhr. Jan van den Berg helpen u. Ask Mr. Smith.",
            "Mevrouw [1] en dhr. [2] helpen u. Ask Mr. [3].",
            ("De Vries", "Jan van den Berg", "Smith"),
        ),
        (
            "Vraag het UWV, de IND of DUO om je DigiD.",
            "Vraag het [1], de [2] of [3] om je [4].",
            ("UWV", "IND", "DUO", "DigiD"),
        ),
        (
            "Як отримати DigiD в Almere Buiten? Питає пані Олена Петренко.",
            "Як отримати [1] в [2]? Питає пані [3].",
            ("DigiD", "Almere Buiten", "Олена Петренко"),
        ),
        (
            "Succes!\nMet vriendelijke groet,\nAnna de Vries",
            "Succes!\nMet vriendelijke groet,\n[1]",
            ("Anna de Vries",),
        ),
        ("Mijn telefoon is [PHONE].", "Mijn telefoon is [1].", ("[PHONE]",)),
    ],
)
def test_what_is_protected(text: str, protected: str, parts: tuple[str, ...]) -> None:
    result = protect(text)
    assert (result.text, result.parts) == (protected, parts)
    assert restore(result.text, result) == text


def test_listed_terms_are_kept_the_longest_first() -> None:
    result = protect(
        "Het Juridisch Loket in Almere", terms=["Juridisch Loket", "Het Juridisch Loket", "Almere"]
    )
    assert result.parts == ("Het Juridisch Loket", "Almere")


def test_ordinary_capitalised_words_are_translated() -> None:
    """Nothing proves that a capitalised word in an English or Dutch sentence is a name."""
    text = "Maandag kunt u langskomen. On Monday the Town Hall is open."
    assert protect(text) == Protected(text=text, parts=())


def test_restore_tolerates_spaces_an_engine_adds() -> None:
    protected = protect("Bel 0800-0113 nu.")
    assert restore("Зателефонуйте [ 1 ] зараз.", protected) == "Зателефонуйте 0800-0113 зараз."


@pytest.mark.parametrize(
    "engine_output",
    ["Зателефонуйте зараз.", "Зателефонуйте [1] [1].", "Зателефонуйте [2].", "[1] [2]"],
)
def test_a_lost_doubled_or_invented_placeholder_is_refused(engine_output: str) -> None:
    with pytest.raises(TranslationFailed, match="changed protected parts"):
        restore(engine_output, protect("Bel 0800-0113 nu."))
