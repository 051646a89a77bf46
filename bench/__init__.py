"""Benchmarks of p81's SCIM service against peer SCIM servers; see docs/benchmarks.md."""
