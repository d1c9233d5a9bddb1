"""法规库: the official texts of the laws the questions cite, split into articles and kept
by version, so every citation can be checked and an amendment sends the questions
citing a changed article back for review."""
