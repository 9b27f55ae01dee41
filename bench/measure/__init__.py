"""What `wegwijs bench` measures; each module is imported only when its benchmark runs."""
