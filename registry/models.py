"""The interest register: page, entries and their admin arrive with the register issue."""
