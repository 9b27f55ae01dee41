"""The command menu (/help, /language, ...), the payloads its commands stand for, and the app
languages that get a menu of their own (registered by runtime.py at start-up)."""

from __future__ import annotations

from bot.language import Language

# The command menu, in order. /start is the greeting; the others are payloads for Rasa.
MENU = ("start", "help", "language", "human", "status", "privacy", "mydata", "forget")
COMMAND_PAYLOADS = {
    "help": "/help",
    "language": "/change_language",
    "human": "/ask_human",
    "status": "/ticket_status",
    "privacy": "/privacy",
    # Answered by the gateway itself (bot/privacy/requests.py), never by Rasa.
    "mydata": "@mydata",
    "forget": "@forget",
}
# Telegram app languages that get a menu of their own. Russian-language apps get the Ukrainian
# one: Russian speakers are answered in Ukrainian (bot/language.py). Others get the default.
MENU_LANGUAGES: dict[str, Language] = {"uk": "uk", "en": "en", "nl": "nl", "ru": "uk"}
