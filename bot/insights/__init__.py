"""The editors' view of the bot: turn events recorded as they happen (recording.py); what
newcomers asked and the bot missed, grouped by meaning across languages (missed.py,
clustering.py, missed_export.py). To come (issue 15): the other pages and drafts of new
entries. Never imports a channel or bot.staff."""
