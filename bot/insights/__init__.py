"""The editors' view of the bot. Today: turn events recorded as they happen (recording.py).
To come (issue 15): counting on the database, the pages' services and drafts of new entries.
Never imports a channel or bot.staff."""
