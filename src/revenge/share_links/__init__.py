"""Share links ("grants"): a link anyone can open for one item, with expiry, view limit and password."""
