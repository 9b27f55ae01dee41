"""Custom Rasa graph components for Wegwijs (import path: ``rasa_plugins.<module>.<Class>``).

Rasa imports this package from its working directory (``rasa`` puts the current directory on
``sys.path``), so run Rasa from the project root or set ``PYTHONPATH`` to it.
"""
