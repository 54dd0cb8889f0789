"""Onboarding: onboarding files expanded, checked against the live sources with Spark, then written."""
