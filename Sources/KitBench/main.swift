import Shared

// Placeholder: the kit benchmark server is being written.
print("KitBench")
