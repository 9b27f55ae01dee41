"""The channels newcomers use: the web widget's JSON API and Telegram."""
