"""Safety of the users: recognising a crisis before anything else answers."""
