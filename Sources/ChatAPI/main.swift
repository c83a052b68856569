import Shared

print("ChatAPI: not wired yet")
