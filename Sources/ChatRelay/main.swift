import Shared

print("ChatRelay: not wired yet")
