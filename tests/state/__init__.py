"""State-handler tests: real Reflex state trees driven directly, no browser."""
