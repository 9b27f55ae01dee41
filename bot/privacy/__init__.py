"""Privacy tools of the gateway: what is removed from a message before anything stores it."""
