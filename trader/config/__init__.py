"""Configuration (CFG-1..3): `app.yaml` plus the policy files in `config/`, as pydantic models."""
