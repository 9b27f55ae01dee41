"""The staff command line (`wegwijs staff ...`): commands.py parses, calls the desk
(bot/escalation/desk.py) and prints; views.py renders; answer_text.py reads an answer;
texts.py holds texts/staff_cli.yml."""
