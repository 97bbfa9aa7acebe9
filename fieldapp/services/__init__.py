"""Use cases shared by the window, the command line and the server. Each takes a Session."""
