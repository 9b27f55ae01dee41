"""The knowledge base in faq/: its schema, loading, and the build of Rasa files from it."""
