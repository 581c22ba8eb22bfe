"""The spec language's front end: YAML with positions, raw spec objects, and the expression parser."""
