"""The app's database: SQLAlchemy 2 models, sessions and repository functions."""
