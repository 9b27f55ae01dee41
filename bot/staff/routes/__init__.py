"""The workspace's routers, one module per area."""
