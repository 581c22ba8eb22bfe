"""What the compiler and the runtime share: the spec language's types (types.py), its values (values.py) and a
compiled domain's typed description (compiled.py). It imports neither of them."""
