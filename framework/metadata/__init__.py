"""What to hydrate: typed control-table rows (specs), their validation, the dependency plan,
the control table itself and onboarding. Imports the platform only; never the engine."""
