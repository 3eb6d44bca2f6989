"""Domain writes, one module per area. Every entry point calls these functions."""
