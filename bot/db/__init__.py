"""The app's database: SQLAlchemy 2 models, sessions and repository functions.

Every table module is imported here, so `bot.db.models.Base.metadata` holds all tables (one
Alembic history) whichever of them a caller imports first."""

from bot.db import link_models, models, staff_models, turn_models

__all__ = ["link_models", "models", "staff_models", "turn_models"]
