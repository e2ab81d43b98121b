"""File readers and writers (edge): turn files into the core's in-memory types and back."""
