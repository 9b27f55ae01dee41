"""Traffic for the load benchmark: Locust files, run in the load environment (.venvs/load)
by bench/measure/load_levels.py (run_locust)."""
