"""The editors' view of the bot: turn events recorded as they happen (recording.py), counted
on the database (missed.py, entries.py, trends.py, review.py), and drafts of new entries
made from what newcomers asked (drafts.py). Never imports a channel or bot.staff."""
