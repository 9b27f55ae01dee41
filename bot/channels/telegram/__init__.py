"""The Telegram channel: python-telegram-bot in front of the same ConversationService as the web.

Two modes (TELEGRAM_MODE): `polling` needs no public HTTPS (a pilot); `webhook` is a route on
the gateway that checks Telegram's secret token, processes every update once and answers at
once. Rasa, the logs and the database know a user only by a keyed hash of their Telegram id;
the chat id is kept only to deliver staff answers, encrypted (addresses.py). Replies are plain
text (no parse mode), so nothing a user or staff member writes can be read as markup.

Staff use the same bot in their own group(s): staff_posts.py posts tickets there and
staff_replies.py takes their claims and answers (by the rules of bot/escalation/desk.py);
newcomer.py routes the group's updates to it and never treats them as a newcomer's (the
newcomer handlers take private chats only). Staff answers reach newcomers through
delivery.py. Both directions are outbox jobs (bot/escalation/outbox.py), so a crash or a
Telegram outage delays them and loses nothing.

    newcomer.py     handlers for private chats, one update at a time per chat; the Application
    commands.py     the command menu and what its commands stand for
    split.py        long replies in parts that fit a message
    sending.py      sending with retries; what a Telegram error means for the outbox
    runtime.py      polling or webhook mode beside the gateway
    webhook.py      the webhook route
    texts.py        texts/telegram.yml and texts/staff.yml
    addresses.py    the sealed chat id an answer goes to
    delivery.py     a staff answer delivered to the newcomer
    staff_posts.py  tickets posted in the staff group(s)
    staff_replies.py  buttons, replies and /chatid in the staff group
"""
