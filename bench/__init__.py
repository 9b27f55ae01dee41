"""Benchmarks and measuring tools: not the product. `load/` generates traffic (Locust files,
run in the load environment); `measure/` runs and measures (load, language, evaluation,
resources, delivery, safety, cross-validation) and writes BENCHMARKS.md's sections through
`wegwijs bench`."""
