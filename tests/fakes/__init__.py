"""Local fake platform servers that speak each platform's HTTP API, for adapter tests."""
